package ttq.model.infer;

import ttq.kernels.InferenceKernels;
import ttq.kernels.Parallel;

/**
 * One caller's handle on a {@link JointRuntime}: the buffers of a forward and the logits it
 * produced. Not thread-safe: give each thread its own session (they share the compiled model).
 * A batch of one utterance runs on the calling thread (the latency case); a larger batch is split
 * by utterances, balanced by tokens, over up to {@code threads} parts, each running the whole
 * forward with its own {@link Workspace}. Buffers grow to the largest batch seen and are reused:
 * in steady state a call allocates nothing.
 */
public final class RuntimeSession {
    private final JointRuntime rt;
    private final int threads;
    private final Workspace[] parts;
    private final int[] partUtterances; // part p: utterances [partUtterances[p], partUtterances[p + 1])
    private int[] starts = new int[1];  // utterance u's first token row in the batch
    private float[] intentLogits = new float[0], slotLogits = new float[0];
    private int batch, tokens, groups;
    private int[] ids, lengths;
    private final Parallel.RangeBody runParts = this::runParts;

    RuntimeSession(JointRuntime rt, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("a session needs at least one thread, got " + threads);
        }
        this.rt = rt;
        this.threads = threads;
        this.parts = new Workspace[threads];
        for (int i = 0; i < threads; i++) {
            parts[i] = new Workspace();
        }
        this.partUtterances = new int[threads + 1];
    }

    /**
     * Runs the model on {@code batch} utterances: {@code ids} holds their token ids one after another
     * (utterance u has {@code lengths[u]} tokens, no padding). Afterwards {@link #intentLogits()}
     * holds [batch, intents] and {@link #slotLogits()} [tokens, slots] in the same token order.
     *
     * @throws IllegalArgumentException for a length outside [1, maxLength] or an id outside the
     *     vocabulary (naming the utterance and position), or too few ids
     */
    public void forward(int[] ids, int[] lengths, int batch) {
        if (batch < 0 || lengths.length < batch) {
            throw new IllegalArgumentException("batch " + batch + " with " + lengths.length + " lengths");
        }
        if (starts.length < batch + 1) {
            starts = new int[batch + 1];
        }
        int total = 0;
        for (int u = 0; u < batch; u++) {
            int n = lengths[u];
            if (n < 1 || n > rt.maxLength) {
                throw new IllegalArgumentException("utterance " + u + " has " + n + " tokens; the model takes 1 to " + rt.maxLength);
            }
            starts[u] = total;
            total += n;
        }
        starts[batch] = total;
        if (ids.length < total) {
            throw new IllegalArgumentException(batch + " utterances of " + total + " tokens but " + ids.length + " ids");
        }
        int vocab = rt.tokens.vocabulary();
        for (int u = 0, t = 0; u < batch; u++) {
            for (int i = 0; i < lengths[u]; i++, t++) {
                if (ids[t] < 0 || ids[t] >= vocab) {
                    throw new IllegalArgumentException("utterance " + u + ", position " + i + ": token id " + ids[t] + " outside [0, " + vocab + ")");
                }
            }
        }
        if (intentLogits.length < batch * rt.intents) {
            intentLogits = new float[batch * rt.intents];
        }
        if (slotLogits.length < total * rt.slots) {
            slotLogits = new float[total * rt.slots];
        }
        this.ids = ids;
        this.lengths = lengths;
        this.batch = batch;
        this.tokens = total;
        if (batch == 0) {
            return;
        }
        groups = Math.min(threads, batch);
        // cut where the running token count passes p / groups of the total, at least one utterance per part
        partUtterances[0] = 0;
        for (int p = 1, u = 0; p < groups; p++) {
            long target = (long) total * p / groups;
            u = Math.max(u, partUtterances[p - 1] + 1);
            while (u < batch - (groups - p) && starts[u] < target) {
                u++;
            }
            partUtterances[p] = u;
        }
        partUtterances[groups] = batch;
        if (groups == 1) {
            runPart(0);
        } else {
            Parallel.forRows(groups, 1 << 20, runParts);
        }
    }

    /** Intent logits of the last call, [batch, intents] (the array may be longer; valid until the next call). */
    public float[] intentLogits() {
        return intentLogits;
    }

    /** Slot logits of the last call, [tokens, slots] in input order (the array may be longer; valid until the next call). */
    public float[] slotLogits() {
        return slotLogits;
    }

    /** Tokens in the last call. */
    public int tokens() {
        return tokens;
    }

    /** Utterances in the last call. */
    public int batch() {
        return batch;
    }

    /** The runtime this session runs. */
    public JointRuntime runtime() {
        return rt;
    }

    private void runParts(int from, int to) {
        for (int p = from; p < to; p++) {
            runPart(p);
        }
    }

    /**
     * Token rows a part runs through the network at once: the feed-forward buffer of 384 rows (4.7 MB
     * at FFN 3072) still streams from L3; one of 768 rows made a 32 x 24 batch on one thread 1.25x slower
     * per utterance than two halves (2026-12-06).
     */
    static final int CHUNK_ROWS = 384;

    /** Part p's utterances, in chunks of at most {@link #CHUNK_ROWS} rows (at least one utterance each). */
    private void runPart(int p) {
        int end = partUtterances[p + 1];
        for (int u0 = partUtterances[p]; u0 < end; ) {
            int u1 = u0 + 1;
            while (u1 < end && starts[u1 + 1] - starts[u0] <= CHUNK_ROWS) {
                u1++;
            }
            runChunk(p, u0, u1);
            u0 = u1;
        }
    }

    /** The whole forward for utterances [u0, u1) of part p, on the calling thread. */
    private void runChunk(int p, int u0, int u1) {
        int t0 = starts[u0], rows = starts[u1] - t0, b = u1 - u0;
        int d = rt.hidden;
        Workspace w = parts[p];
        Scratch s = w.scratch;
        boolean intAttention = rt.integerAttention;
        w.ensure(rows, b, d, rt.ffn, intAttention);
        // token + position embedding, then layer norm
        rt.tokens.lookup(ids, t0, rows, w.x, 0, s);
        for (int u = u0; u < u1; u++) {
            int base = (starts[u] - t0) * d;
            for (int t = 0; t < lengths[u]; t++) {
                for (int j = 0, at = base + t * d, pos = t * d; j < d; j++) {
                    w.x[at + j] += rt.positions[pos + j];
                }
            }
        }
        JointRuntime.Norm en = rt.embeddingNorm;
        InferenceKernels.addLayerNorm(rows, d, w.x, 0, null, 0, en.gamma(), en.beta(), en.eps(), w.x, 0);
        for (JointRuntime.Block block : rt.blocks) {
            block(block, w, u0, u1, t0, rows);
        }
        // intent head on each utterance's first token, slot head on every token
        for (int u = u0; u < u1; u++) {
            System.arraycopy(w.x, (starts[u] - t0) * d, w.first, (u - u0) * d, d);
        }
        rt.intentHidden.forward(w.first, 0, b, w.intentHidden, 0, s);
        for (int i = 0, n = b * d; i < n; i++) {
            w.intentHidden[i] = tanh(w.intentHidden[i]);
        }
        rt.intentOut.forward(w.intentHidden, 0, b, intentLogits, u0 * rt.intents, s);
        rt.slotHidden.forward(w.x, 0, rows, w.q, 0, s);
        InferenceKernels.gelu(w.q, w.q, 0, rows * d);
        rt.slotOut.forward(w.q, 0, rows, slotLogits, t0 * rt.slots, s);
    }

    private void block(JointRuntime.Block block, Workspace w, int u0, int u1, int t0, int rows) {
        int d = rt.hidden;
        Scratch s = w.scratch;
        block.attention().forward(w.x, rows, starts, lengths, u0, u1, t0, w.q, w);
        JointRuntime.Norm n1 = block.attentionNorm();
        InferenceKernels.addLayerNorm(rows, d, w.x, 0, w.q, 0, n1.gamma(), n1.beta(), n1.eps(), w.x, 0);
        block.up().forward(w.x, 0, rows, w.ffn, 0, s);
        InferenceKernels.gelu(w.ffn, w.ffn, 0, rows * rt.ffn);
        block.down().forward(w.ffn, 0, rows, w.q, 0, s);
        JointRuntime.Norm n2 = block.ffnNorm();
        InferenceKernels.addLayerNorm(rows, d, w.x, 0, w.q, 0, n2.gamma(), n2.beta(), n2.eps(), w.x, 0);
    }

    /** tanh via one exp: 1 - 2 / (e^{2x} + 1), which saturates cleanly at both ends. */
    private static float tanh(float x) {
        return (float) (1.0 - 2.0 / (Math.exp(2.0 * x) + 1.0));
    }
}
