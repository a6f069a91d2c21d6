package ttq.model.infer;

import ttq.kernels.InferenceKernels;
import ttq.model.Linear;

/**
 * A dense FP32 layer y = x W + b (W [in, out], as {@link Linear} stores it) on the skinny FP32 kernels
 * (AVX-512F / AVX2 register blocks of 4 rows x 16 columns): each output is one FMA chain over the
 * inputs in a fixed order, so a row's result does not depend on how many rows come with it, which
 * OpenBLAS does not promise (its small-matrix and single-row paths round differently). At the
 * runtime's shapes it is also the faster (768 -> 130: 1.6-3.4x OpenBLAS's sgemm on one core,
 * 2026-12-06; 768 -> 768 at 384 rows: equal).
 */
final class DenseLinear implements RuntimeLinear {
    private final int in, out;
    private final float[] weight; // [in, out]
    private final float[] bias;   // [out] or null

    DenseLinear(Linear layer) {
        this(layer.inFeatures(), layer.outFeatures(), layer.weight().toArray(), layer.bias() == null ? null : layer.bias().toArray());
    }

    DenseLinear(int in, int out, float[] weight, float[] bias) {
        if (weight.length != in * out || (bias != null && bias.length != out)) {
            throw new IllegalArgumentException("dense layer " + in + " -> " + out + ": weight has " + weight.length + " values"
                    + (bias == null ? "" : ", bias " + bias.length));
        }
        this.in = in;
        this.out = out;
        this.weight = weight;
        this.bias = bias;
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    @Override
    public void forward(float[] x, int offX, int rows, float[] y, int offY, Scratch s) {
        if (rows == 0) {
            return;
        }
        InferenceKernels.smallK(rows, out, in, x, offX, in, weight, 0, out, y, offY, out);
        if (bias != null) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0, at = offY + i * out; j < out; j++) {
                    y[at + j] += bias[j];
                }
            }
        }
    }

    @Override
    public String describe() {
        return "dense FP32 " + in + " -> " + out + " (skinny FP32 kernels, " + ttq.kernels.SkinnyGemm.path() + ")";
    }
}
