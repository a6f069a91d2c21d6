package ttq.model.train;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Viterbi decoding of per-token slot logits under the BIO grammar: {@code I-x} may only follow
 * {@code B-x} or {@code I-x}, so a sentence never starts with it and a chunk never changes type
 * midway. Each tag sequence scores the sum of its tokens' log-softmax values, so among valid
 * sequences this picks the one the per-token distributions make most likely; where argmax already
 * gives a valid sequence the result is the same. Why: conlleval reads an {@code I-} after
 * {@code O} or after another type as the start of a new chunk, so one stray tag costs a
 * false positive and a false negative; the model has no transition layer to rule them out.
 * Tags without a {@code B-}/{@code I-} prefix, and an {@code I-x} whose {@code B-x} the tag set
 * lacks, are unconstrained.
 */
public final class BioConstrainedDecoder implements SlotDecoding.Decoder {
    private final int tags;
    private final boolean[] canStart;
    /** canFollow[prev * tags + cur]. */
    private final boolean[] canFollow;

    private BioConstrainedDecoder(int tags, boolean[] canStart, boolean[] canFollow) {
        this.tags = tags;
        this.canStart = canStart;
        this.canFollow = canFollow;
    }

    /** The decoder for a tag set (index = tag id). */
    public static BioConstrainedDecoder of(List<String> tagNames) {
        int n = tagNames.size();
        if (n == 0) {
            throw new IllegalArgumentException("an empty tag set");
        }
        Set<String> names = new HashSet<>(tagNames);
        boolean[] canStart = new boolean[n];
        boolean[] canFollow = new boolean[n * n];
        for (int cur = 0; cur < n; cur++) {
            String c = tagNames.get(cur);
            String begin = c.startsWith("I-") ? "B-" + c.substring(2) : null;
            boolean inside = begin != null && names.contains(begin);
            canStart[cur] = !inside;
            for (int prev = 0; prev < n; prev++) {
                String p = tagNames.get(prev);
                canFollow[prev * n + cur] = !inside || p.equals(c) || p.equals(begin);
            }
        }
        return new BioConstrainedDecoder(n, canStart, canFollow);
    }

    /** Whether tag {@code cur} may follow tag {@code prev}. */
    public boolean allowed(int prev, int cur) {
        return canFollow[prev * tags + cur];
    }

    /** Whether a sentence may start with tag {@code cur}. */
    public boolean allowedFirst(int cur) {
        return canStart[cur];
    }

    /**
     * Tag ids for {@code [batch * length, tags]} logits; row r's first {@code lengths[r]} positions are
     * decoded jointly, the padding positions after them by argmax.
     */
    @Override
    public int[] decode(float[] logits, int tags, int batch, int length, int[] lengths) {
        if (tags != this.tags) {
            throw new IllegalArgumentException("logits have " + tags + " tags, the decoder " + this.tags);
        }
        if (logits.length != batch * length * tags || lengths.length != batch) {
            throw new IllegalArgumentException("expected " + batch + " x " + length + " x " + tags + " logits and "
                    + batch + " lengths, got " + logits.length + " and " + lengths.length);
        }
        int[] out = argmax(logits, tags, batch * length);
        double[] score = new double[length * tags];
        int[] back = new int[length * tags];
        double[] logp = new double[tags];
        for (int r = 0; r < batch; r++) {
            int n = lengths[r];
            if (n < 0 || n > length) {
                throw new IllegalArgumentException("row " + r + " length " + n + " outside [0, " + length + "]");
            }
            for (int t = 0; t < n; t++) {
                if (!logSoftmax(logits, (r * length + t) * tags, logp)) {
                    throw new ArithmeticException("slot logits of row " + r + ", position " + t + " are not finite");
                }
                for (int cur = 0; cur < tags; cur++) {
                    double best = Double.NEGATIVE_INFINITY;
                    int arg = -1;
                    if (t == 0) {
                        best = canStart[cur] ? 0 : Double.NEGATIVE_INFINITY;
                    } else {
                        for (int prev = 0; prev < tags; prev++) {
                            double s = score[(t - 1) * tags + prev];
                            if (s > best && canFollow[prev * tags + cur]) {
                                best = s;
                                arg = prev;
                            }
                        }
                    }
                    score[t * tags + cur] = best + logp[cur];
                    back[t * tags + cur] = arg;
                }
            }
            if (n == 0) {
                continue;
            }
            int tag = 0;
            for (int cur = 1; cur < tags; cur++) {
                if (score[(n - 1) * tags + cur] > score[(n - 1) * tags + tag]) {
                    tag = cur;
                }
            }
            for (int t = n - 1; t >= 0; t--) {
                out[r * length + t] = tag;
                tag = back[t * tags + tag];
            }
        }
        return out;
    }

    /** Row-wise argmax of {@code [rows, cols]} values (the first maximum on ties). */
    public static int[] argmax(float[] l, int cols, int rows) {
        if (l.length != rows * cols) {
            throw new IllegalArgumentException("expected " + rows + " x " + cols + " values, got " + l.length);
        }
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) {
            int best = 0;
            for (int j = 1; j < cols; j++) {
                if (l[i * cols + j] > l[i * cols + best]) {
                    best = j;
                }
            }
            out[i] = best;
        }
        return out;
    }

    /** Writes log-softmax of l[off, off + out.length) to out; false when a value is not finite. */
    private static boolean logSoftmax(float[] l, int off, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < out.length; j++) {
            max = Math.max(max, l[off + j]);
        }
        double sum = 0;
        for (int j = 0; j < out.length; j++) {
            sum += Math.exp(l[off + j] - max);
        }
        double lse = max + Math.log(sum);
        if (!Double.isFinite(lse)) {
            return false;
        }
        for (int j = 0; j < out.length; j++) {
            out[j] = l[off + j] - lse;
        }
        return true;
    }
}
