package ttq.model.infer;

/**
 * The activations of one thread's share of a batch (its utterances' tokens as rows, no padding):
 * sized on first use for the most rows and utterances seen, then reused, so a steady stream of
 * calls allocates nothing.
 */
final class Workspace {
    final Scratch scratch = new Scratch();
    float[] x = new float[0], q = new float[0], k = new float[0], v = new float[0], context = new float[0], ffn = new float[0];
    byte[] qCodes = new byte[0], kCodes = new byte[0], vCodes = new byte[0];
    float[] first = new float[0], intentHidden = new float[0];

    /** Room for {@code rows} token rows and {@code utterances} utterances. */
    void ensure(int rows, int utterances, int hidden, int ffnWidth, boolean intCodes) {
        int rd = rows * hidden;
        if (x.length < rd) {
            x = new float[rd];
            q = new float[rd];
            k = new float[rd];
            v = new float[rd];
            context = new float[rd];
        }
        if (ffn.length < rows * ffnWidth) {
            ffn = new float[rows * ffnWidth];
        }
        if (intCodes && qCodes.length < rd) {
            qCodes = new byte[rd];
            kCodes = new byte[rd];
            vCodes = new byte[rd];
        }
        if (first.length < utterances * hidden) {
            first = new float[utterances * hidden];
            intentHidden = new float[utterances * hidden];
        }
    }
}
