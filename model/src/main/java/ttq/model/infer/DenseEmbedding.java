package ttq.model.infer;

/** A dense FP32 token table [vocabulary, hidden]: a lookup copies rows. */
final class DenseEmbedding implements TokenEmbedding {
    private final int vocabulary, hidden;
    private final float[] table;

    DenseEmbedding(float[] table, int vocabulary, int hidden) {
        if (table.length != vocabulary * hidden) {
            throw new IllegalArgumentException("embedding table has " + table.length + " values for " + vocabulary + " x " + hidden);
        }
        this.table = table;
        this.vocabulary = vocabulary;
        this.hidden = hidden;
    }

    @Override
    public int hidden() {
        return hidden;
    }

    @Override
    public int vocabulary() {
        return vocabulary;
    }

    @Override
    public void lookup(int[] ids, int offIds, int count, float[] out, int offOut, Scratch s) {
        for (int t = 0; t < count; t++) {
            System.arraycopy(table, ids[offIds + t] * hidden, out, offOut + t * hidden, hidden);
        }
    }

    @Override
    public String describe() {
        return "dense FP32 table " + vocabulary + " x " + hidden;
    }
}
