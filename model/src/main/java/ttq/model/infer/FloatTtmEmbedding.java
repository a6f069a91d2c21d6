package ttq.model.infer;

import ttq.kernels.InferenceKernels;
import ttq.model.tt.TtmEmbedding;

/** An FP32 {@link TtmEmbedding}: the cores merged into two halves ({@link TtmHalves}); a lookup multiplies the id's two blocks. */
final class FloatTtmEmbedding implements TokenEmbedding {
    private final int vocabulary, hidden;
    private final TtmHalves shape;
    private final float[] left, right;

    FloatTtmEmbedding(TtmEmbedding e) {
        if (e.weightQuantizer() != null) {
            throw new IllegalArgumentException("FP32 TTM embedding: the cores are quantized (use the integer embedding)");
        }
        this.vocabulary = e.vocabulary();
        this.hidden = e.hidden();
        this.shape = TtmHalves.of(e, TtFactors::floats);
        this.left = toFloats(shape.left);
        this.right = toFloats(shape.right);
    }

    private static float[] toFloats(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
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
        int lb = shape.leftCols * shape.bond, rb = shape.bond * shape.rightCols;
        for (int t = 0; t < count; t++) {
            int id = ids[offIds + t], a = id / shape.rightRows, b = id % shape.rightRows;
            InferenceKernels.smallK(shape.leftCols, shape.rightCols, shape.bond, left, a * lb, shape.bond, right, b * rb, shape.rightCols,
                    out, offOut + t * hidden, shape.rightCols);
        }
    }

    @Override
    public String describe() {
        return "TTM FP32 " + vocabulary + " x " + hidden + ", " + shape.describe() + ", one FP32 product per token";
    }
}
