package ttq.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link BioConstrainedDecoder} against brute force over every tag sequence of short rows: it returns a
 * valid BIO sequence of the highest summed log-softmax score, and argmax's own answer when that is valid.
 */
class BioConstrainedDecoderProperties {
    /** I-c has no B-c, so it is unconstrained; "x" has no prefix. */
    private static final List<String> TAGS = List.of("O", "B-a", "I-a", "B-b", "I-b", "I-c", "x");
    private static final BioConstrainedDecoder DECODER = BioConstrainedDecoder.of(TAGS);

    @Provide
    Arbitrary<float[]> logits() {
        // 2 rows of 4 positions; few distinct values so ties and near-ties come up
        return Arbitraries.floats().between(-4, 4).ofScale(1).array(float[].class).ofSize(2 * 4 * TAGS.size());
    }

    @Property(tries = 300)
    void decodesTheBestValidSequence(@ForAll("logits") float[] logits, @ForAll @IntRange(min = 0, max = 4) int len0,
            @ForAll @IntRange(min = 0, max = 4) int len1) {
        int tags = TAGS.size(), length = 4;
        int[] lengths = {len0, len1};
        int[] out = DECODER.decode(logits, tags, 2, length, lengths);
        int[] argmax = BioConstrainedDecoder.argmax(logits, tags, 2 * length);
        for (int r = 0; r < 2; r++) {
            int n = lengths[r];
            int[] row = new int[n];
            System.arraycopy(out, r * length, row, 0, n);
            assertTrue(valid(row), "decoded row " + r + " is not valid BIO");
            double best = bestValidScore(logits, r * length, n);
            assertEquals(best, score(logits, r * length, row), 1e-9, "row " + r + " is not the best valid sequence");
            int[] am = new int[n];
            System.arraycopy(argmax, r * length, am, 0, n);
            if (valid(am) && score(logits, r * length, am) > best - 1e-12 && unique(logits, r * length, n)) {
                assertArrayEquals(am, row, "a valid argmax sequence must come back unchanged");
            }
            for (int t = n; t < length; t++) {
                assertEquals(argmax[r * length + t], out[r * length + t], "padding is argmax'ed");
            }
        }
    }

    private static boolean valid(int[] row) {
        for (int t = 0; t < row.length; t++) {
            if (t == 0 ? !DECODER.allowedFirst(row[t]) : !DECODER.allowed(row[t - 1], row[t])) {
                return false;
            }
        }
        return true;
    }

    /** Whether every position has a single maximum (else argmax and Viterbi may pick different equals). */
    private static boolean unique(float[] l, int pos, int n) {
        int tags = TAGS.size();
        for (int t = 0; t < n; t++) {
            float max = Float.NEGATIVE_INFINITY;
            int count = 0;
            for (int j = 0; j < tags; j++) {
                float v = l[(pos + t) * tags + j];
                if (v > max) {
                    max = v;
                    count = 1;
                } else if (v == max) {
                    count++;
                }
            }
            if (count > 1) {
                return false;
            }
        }
        return true;
    }

    private static double score(float[] l, int pos, int[] row) {
        int tags = TAGS.size();
        double s = 0;
        for (int t = 0; t < row.length; t++) {
            int off = (pos + t) * tags;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < tags; j++) {
                max = Math.max(max, l[off + j]);
            }
            for (int j = 0; j < tags; j++) {
                sum += Math.exp(l[off + j] - max);
            }
            s += l[off + row[t]] - max - Math.log(sum);
        }
        return s;
    }

    private static double bestValidScore(float[] l, int pos, int n) {
        int tags = TAGS.size();
        int total = (int) Math.pow(tags, n);
        double best = n == 0 ? 0 : Double.NEGATIVE_INFINITY;
        int[] row = new int[n];
        for (int code = 0; code < total; code++) {
            int c = code;
            for (int t = 0; t < n; t++) {
                row[t] = c % tags;
                c /= tags;
            }
            if (valid(row)) {
                best = Math.max(best, score(l, pos, row));
            }
        }
        return best;
    }
}
