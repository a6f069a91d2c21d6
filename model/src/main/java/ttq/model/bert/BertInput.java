package ttq.model.bert;

/**
 * A padded batch for the encoder: token ids, token type ids and the attention mask (1 = token,
 * 0 = padding), each [batch * length] row-major. Checked against the encoder's config before use.
 */
public record BertInput(int[] ids, int[] typeIds, int[] mask, int batch, int length) {
    /** Checks that ids, token types and mask have the same [batch, length] shape. */
    public BertInput {
        if (batch < 1 || length < 1) {
            throw new IllegalArgumentException("BERT input: batch and length must be positive, got " + batch + " x " + length);
        }
        long n = (long) batch * length;
        if (ids.length != n || typeIds.length != n || mask.length != n) {
            throw new IllegalArgumentException("BERT input: ids " + ids.length + ", type ids " + typeIds.length + ", mask "
                    + mask.length + " values for " + batch + " x " + length);
        }
    }

    /** Encoded rows padded with id 0 and mask 0 to {@code length} tokens, which must hold the longest row. */
    public static BertInput padded(java.util.List<BertTokenizer.Encoded> rows, int length) {
        int n = rows.size();
        int[] ids = new int[n * length], types = new int[n * length], mask = new int[n * length];
        for (int r = 0; r < n; r++) {
            BertTokenizer.Encoded e = rows.get(r);
            if (e.ids().length > length) {
                throw new IllegalArgumentException("BERT input: row " + r + " has " + e.ids().length + " tokens, more than the length " + length);
            }
            System.arraycopy(e.ids(), 0, ids, r * length, e.ids().length);
            System.arraycopy(e.typeIds(), 0, types, r * length, e.typeIds().length);
            java.util.Arrays.fill(mask, r * length, r * length + e.ids().length, 1);
        }
        return new BertInput(ids, types, mask, n, length);
    }

    /** Throws naming the first id outside the vocabulary, type id outside the type vocabulary, or bad mask value. */
    void check(BertConfig c) {
        if (length > c.maxPositions()) {
            throw new IllegalArgumentException("BERT input: length " + length + " exceeds the encoder's " + c.maxPositions() + " positions");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= c.vocab()) {
                throw new IllegalArgumentException("BERT input: token id " + ids[i] + " at row " + i / length + ", position "
                        + i % length + " is outside the vocabulary [0, " + c.vocab() + ")");
            }
            if (typeIds[i] < 0 || typeIds[i] >= c.typeVocab()) {
                throw new IllegalArgumentException("BERT input: token type " + typeIds[i] + " at row " + i / length
                        + " is outside [0, " + c.typeVocab() + ")");
            }
            if (mask[i] != 0 && mask[i] != 1) {
                throw new IllegalArgumentException("BERT input: attention mask value " + mask[i] + " at row " + i / length
                        + " (must be 0 or 1)");
            }
        }
    }
}
