package ttq.model.infer;

import ttq.kernels.FactoredKernels;
import ttq.kernels.InferenceKernels;
import ttq.model.tt.TtLinear;

/**
 * An FP32 tensor-train layer contracted at its middle bond once, at load: V [r, N] and [U, b]^T
 * [r + 1, M], then y = [x V^T, 1] [U, b]^T per call on the fused skinny kernels (the order the
 * training network's fused path takes; for d = 2 it is also the cheapest in FLOPs at any batch).
 */
final class FloatTtLinear implements RuntimeLinear {
    private final int m, n, r, k;
    private final float[] v;   // [r, N]
    private final float[] upT; // [k, M]: U^T, then the bias row when there is one

    FloatTtLinear(TtLinear layer) {
        TtFactors f = TtFactors.of(layer, TtFactors::floats);
        this.m = f.m;
        this.n = f.n;
        this.r = f.r;
        this.k = layer.bias() == null ? r : r + 1;
        this.v = new float[r * n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) f.v[i];
        }
        this.upT = new float[k * m];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < r; p++) {
                upT[p * m + i] = (float) f.u[i * r + p];
            }
        }
        if (layer.bias() != null) {
            System.arraycopy(layer.bias().data(), 0, upT, r * m, m);
        }
    }

    @Override
    public int inFeatures() {
        return n;
    }

    @Override
    public int outFeatures() {
        return m;
    }

    @Override
    public void forward(float[] x, int offX, int rows, float[] y, int offY, Scratch s) {
        float[] hp = s.floats(rows * k);
        if (k <= FactoredKernels.MAX_K) {
            InferenceKernels.factoredForward(rows, m, n, r, k, x, offX, v, upT, hp, 0, y, offY);
            return;
        }
        // a bond wider than the fused kernel's buffer: the same two skinny products, then the bias
        InferenceKernels.smallN(rows, r, n, x, offX, n, v, 0, n, hp, 0, r);
        InferenceKernels.smallK(rows, m, r, hp, 0, r, upT, 0, m, y, offY, m);
        if (k > r) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0, at = offY + i * m; j < m; j++) {
                    y[at + j] += upT[r * m + j];
                }
            }
        }
    }

    @Override
    public String describe() {
        return "TT FP32 " + n + " -> " + m + ", rank " + r + ": pair U [" + m + "," + r + "] V [" + r + "," + n + "] (fused skinny kernels)";
    }
}
