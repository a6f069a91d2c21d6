package ttq.model.infer;

/** The runtime's token embedding: rows for ids, written into a float buffer, on the calling thread. */
interface TokenEmbedding {
    /** Embedding width. */
    int hidden();

    /** Number of valid ids, [0, vocabulary()). */
    int vocabulary();

    /** out[offOut + t * hidden ..] = row(ids[offIds + t]) for t in [0, count); ids are already checked. */
    void lookup(int[] ids, int offIds, int count, float[] out, int offOut, Scratch s);

    /** One line for {@code ttq info --model}. */
    String describe();
}
