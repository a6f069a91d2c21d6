package ttq.model.infer;

import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.tt.TtmEmbedding;

/**
 * A weight-quantized {@link TtmEmbedding} in integer arithmetic: the cores' b-bit codes merged into
 * two halves at one bond ({@link TtmHalves}, exact integer sums), each block requantized once to
 * INT8 with its own scale (blocks that fit stay exact). A lookup gathers the two blocks of the id
 * and multiplies them in INT8 with int32 sums, written straight to floats with the scale
 * s_w^d s_L s_R. The table is never formed.
 */
final class IntTtmEmbedding implements TokenEmbedding {
    private final int vocabulary, hidden, bits;
    private final TtmHalves shape;
    private final byte[] left;           // [leftRows][leftCols, bond]
    private final float[] leftScale;     // per left block, s_w^d folded in
    private final Int8Weight[] right;    // per right block: R_b^T [rightCols, bond]
    private final float[] rightScale;

    IntTtmEmbedding(TtmEmbedding e) {
        LearnedScaleQuantizer q = e.weightQuantizer();
        if (q == null || !q.isInitialized()) {
            throw new IllegalArgumentException("integer TTM embedding: the cores must be quantized with an initialised scale");
        }
        this.vocabulary = e.vocabulary();
        this.hidden = e.hidden();
        int b = q.bits();
        this.bits = b;
        float sw = q.scale().item();
        TtmHalves h = TtmHalves.of(e, (k, core) -> Codes.of(core, sw, b));
        this.shape = h;
        int lb = h.leftCols * h.bond, rb = h.bond * h.rightCols;
        this.left = new byte[h.leftRows * lb];
        float[] ls = Codes.requantizeRows(h.left, h.leftRows, lb, left);
        double swd = Codes.power(sw, e.cores().size());
        this.leftScale = new float[h.leftRows];
        for (int a = 0; a < h.leftRows; a++) {
            leftScale[a] = (float) (swd * ls[a]);
        }
        byte[] rq = new byte[h.rightRows * rb];
        this.rightScale = Codes.requantizeRows(h.right, h.rightRows, rb, rq);
        this.right = new Int8Weight[h.rightRows];
        for (int j = 0; j < h.rightRows; j++) {
            byte[] t = new byte[rb]; // [bond, rightCols] -> [rightCols, bond]: k-contiguous for the kernel
            for (int p = 0; p < h.bond; p++) {
                for (int c = 0; c < h.rightCols; c++) {
                    t[c * h.bond + p] = rq[j * rb + p * h.rightCols + c];
                }
            }
            right[j] = new Int8Weight(t, h.rightCols, h.bond);
        }
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
        int lb = shape.leftCols * shape.bond;
        for (int t = 0; t < count; t++) {
            int id = ids[offIds + t], a = id / shape.rightRows, b = id % shape.rightRows;
            right[b].multiplyToFloat(shape.leftCols, left, a * lb, shape.bond, out, offOut + t * hidden, shape.rightCols,
                    leftScale[a] * rightScale[b], null, 0, null, null, s);
        }
    }

    @Override
    public String describe() {
        return "TTM INT" + bits + " " + vocabulary + " x " + hidden + ", " + shape.describe() + ", one INT8 product per token";
    }
}
