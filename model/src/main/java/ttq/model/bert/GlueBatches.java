package ttq.model.bert;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import ttq.model.data.GlueTask;

/**
 * A tokenized GLUE split and its batches. Training batches are drawn per epoch from a seeded
 * shuffle, sorted by length within windows of 50 batches (little padding) and then shuffled as
 * batches: the same seed and epoch always give the same batches, which is what exact resumption needs.
 */
public final class GlueBatches {
    private final BertTokenizer.Encoded[] encoded;
    private final int[] labels;
    private final int atLimit, maxLength;

    /** Tokenizes examples with tokenizer. */
    public GlueBatches(BertTokenizer tokenizer, List<GlueTask.Example> examples) {
        encoded = new BertTokenizer.Encoded[examples.size()];
        labels = new int[examples.size()];
        int full = 0;
        for (int i = 0; i < encoded.length; i++) {
            GlueTask.Example e = examples.get(i);
            encoded[i] = tokenizer.encode(e.first(), e.second());
            labels[i] = e.label();
            full += encoded[i].ids().length >= tokenizer.maxLength() ? 1 : 0;
        }
        atLimit = full;
        maxLength = tokenizer.maxLength();
    }

    /**
     * The warning for examples whose encoding fills the tokenizer's maximum length (the tokenizer cuts
     * longer ones, longest sequence first), or null when none does.
     */
    public String truncationWarning(String split) {
        return atLimit == 0 ? null : String.format(java.util.Locale.ROOT, "warning: %s: %d of %d examples reach the %d-token limit; longer "
                + "ones are cut to it", split, atLimit, encoded.length, maxLength);
    }

    /** Number of examples. */
    public int size() {
        return encoded.length;
    }

    /** Gold label of example i. */
    public int label(int i) {
        return labels[i];
    }

    /** A batch: the encoder input, the examples' indices and labels. */
    public record Batch(BertInput input, int[] indices, int[] labels) {
        /** Number of examples in the batch. */
        public int size() {
            return indices.length;
        }
    }

    /** Batches per epoch: ceil(size / batch), since each sorting window holds a whole number of batches. */
    public int batchCount(int batch) {
        return (encoded.length + batch - 1) / batch;
    }

    /** Training batches of one epoch. */
    public List<Batch> shuffled(int batch, long seed) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < encoded.length; i++) {
            order.add(i);
        }
        Random r = new Random(seed);
        Collections.shuffle(order, r);
        List<int[]> groups = new ArrayList<>();
        int window = batch * 50;
        for (int from = 0; from < order.size(); from += window) {
            List<Integer> w = new ArrayList<>(order.subList(from, Math.min(order.size(), from + window)));
            w.sort((a, b) -> Integer.compare(encoded[a].ids().length, encoded[b].ids().length));
            for (int s = 0; s < w.size(); s += batch) {
                groups.add(w.subList(s, Math.min(w.size(), s + batch)).stream().mapToInt(Integer::intValue).toArray());
            }
        }
        Collections.shuffle(groups, r);
        List<Batch> out = new ArrayList<>(groups.size());
        for (int[] g : groups) {
            out.add(make(g));
        }
        return out;
    }

    /** Evaluation batches in file order. */
    public List<Batch> inOrder(int batch) {
        List<Batch> out = new ArrayList<>();
        for (int from = 0; from < encoded.length; from += batch) {
            int[] g = new int[Math.min(batch, encoded.length - from)];
            for (int i = 0; i < g.length; i++) {
                g[i] = from + i;
            }
            out.add(make(g));
        }
        return out;
    }

    private Batch make(int[] idx) {
        List<BertTokenizer.Encoded> rows = new ArrayList<>(idx.length);
        int l = 1;
        int[] y = new int[idx.length];
        for (int r = 0; r < idx.length; r++) {
            rows.add(encoded[idx[r]]);
            l = Math.max(l, encoded[idx[r]].ids().length);
            y[r] = labels[idx[r]];
        }
        return new Batch(BertInput.padded(rows, l), idx, y);
    }
}
