package ttq.model.infer;

/**
 * One thread's temporary buffers for the runtime's layers: grown when a call needs more than any
 * call before it, never shrunk, so a steady stream of calls allocates nothing. A layer may use
 * them only during its own call (the next layer reuses them); activations that live across layers
 * are in {@link Workspace}.
 */
final class Scratch {
    private byte[] codes = new byte[0], codes2 = new byte[0];
    private int[] acc = new int[0];
    private float[] rowScale = new float[0], rowScale2 = new float[0], floats = new float[0];

    /** INT8 codes of a layer's input (at least n). */
    byte[] codes(int n) {
        if (codes.length < n) {
            codes = new byte[n];
        }
        return codes;
    }

    /** A second code buffer, for requantized intermediates (at least n). */
    byte[] codes2(int n) {
        if (codes2.length < n) {
            codes2 = new byte[n];
        }
        return codes2;
    }

    /** int32 accumulators (at least n). */
    int[] acc(int n) {
        if (acc.length < n) {
            acc = new int[n];
        }
        return acc;
    }

    /** One scale per row of a layer's input (at least n). */
    float[] rowScale(int n) {
        if (rowScale.length < n) {
            rowScale = new float[n];
        }
        return rowScale;
    }

    /** One scale per row of a requantized intermediate (at least n). */
    float[] rowScale2(int n) {
        if (rowScale2.length < n) {
            rowScale2 = new float[n];
        }
        return rowScale2;
    }

    /** Float scratch (at least n). */
    float[] floats(int n) {
        if (floats.length < n) {
            floats = new float[n];
        }
        return floats;
    }
}
