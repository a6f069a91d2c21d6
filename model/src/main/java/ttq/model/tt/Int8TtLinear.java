package ttq.model.tt;

import java.util.List;
import ttq.engine.Tensor;
import ttq.kernels.Int8Gemm;
import ttq.kernels.Int8Path;
import ttq.kernels.Parallel;

/**
 * Integer inference of a quantized {@link TtLinear}: the whole contraction chain runs in INT8 with
 * int32 accumulation and requantization to INT8 between steps (the paper: "all intermediate tensor
 * contractions are computed in INT8"). The cores become integers with the layer's learned scale;
 * the output cores are contracted into U [M, r_d] and the input cores into V [r_d, N] once, at
 * construction (each step requantized); a forward then quantizes x with the layer's input scale
 * (or max|x|/127 when the layer has none or it was never initialised), computes h = x V^T in int32, requantizes h, computes
 * y = h U^T in int32 and rescales to float, adding the bias. Requantization uses a per-tensor
 * scale max|acc|/127 and rounds half to even.
 */
public final class Int8TtLinear {
    private final int m, n, r;
    private final float inputScale; // 0: dynamic per call
    private final byte[] u, v;      // U [M, r], V [r, N] as int8
    private final float uScale, vScale;
    private final Int8Gemm.Packed vPacked, uPacked;
    private final Int8Path path;
    private final float[] bias;

    /** Converts a trained layer whose weights are quantized to at most 8 bits. */
    public Int8TtLinear(TtLinear layer) {
        if (layer.weightQuantizer() == null || !layer.weightQuantizer().isInitialized()) {
            throw new IllegalArgumentException("Int8TtLinear: the layer's weights must be quantized (quantizeWeights) and"
                    + " the scale initialised by at least one forward");
        }
        if (layer.inputQuantizer() != null && layer.inputQuantizer().bits() != 8) {
            throw new IllegalArgumentException("Int8TtLinear: the input quantizer must have 8 bits, has " + layer.inputQuantizer().bits());
        }
        int[] ranks = layer.ranks();
        int d = layer.outModes().length;
        this.m = layer.outFeatures();
        this.n = layer.inFeatures();
        this.r = ranks[d];
        float sw = layer.weightQuantizer().scale().item();
        int bits = layer.weightQuantizer().bits();
        List<Tensor> cores = layer.cores();
        IntMatrix[] q = new IntMatrix[2 * d];
        for (int k = 0; k < 2 * d; k++) {
            q[k] = IntMatrix.quantize(cores.get(k), sw, bits);
        }
        this.path = Int8Path.selected();
        // U: G1 [1*i1, r1] x G2 [r1, i2 r2] ... -> [M, r_d], requantized after every step
        IntMatrix acc = q[0].reshape(ranks[0] * layer.outModes()[0], ranks[1]);
        for (int k = 1; k < d; k++) {
            IntMatrix core = q[k].reshape(ranks[k], layer.outModes()[k] * ranks[k + 1]);
            acc = acc.times(core, path).reshape(acc.rows * layer.outModes()[k], ranks[k + 1]);
        }
        this.u = acc.data;
        this.uScale = acc.scale;
        // V: G_{2d} [r_{2d-1}, j_d], then G_k [r_{k-1} j_k, r_k] x T [r_k, J] -> [r_{k-1}, j_k J]
        IntMatrix t = q[2 * d - 1].reshape(ranks[2 * d - 1], layer.inModes()[d - 1]);
        for (int k = 2 * d - 2; k >= d; k--) {
            int jk = layer.inModes()[k - d];
            IntMatrix core = q[k].reshape(ranks[k] * jk, ranks[k + 1]);
            t = core.times(t, path).reshape(ranks[k], jk * t.cols);
        }
        this.v = t.data;
        this.vScale = t.scale;
        this.vPacked = path == Int8Path.SCALAR ? null : Int8Gemm.pack(path, r, n, v, 0, n);
        // U [M, r] is already the k-contiguous right operand of y = h U^T
        this.uPacked = path == Int8Path.SCALAR ? null : Int8Gemm.pack(path, m, r, u, 0, r);
        // an input quantizer that never saw data has no scale yet: quantize each batch by its own max|x|
        this.inputScale = layer.inputQuantizer() == null || !layer.inputQuantizer().isInitialized() ? 0f
                : layer.inputQuantizer().scale().item();
        this.bias = layer.bias() == null ? null : layer.bias().toArray();
    }

    /** Output width M. */
    public int outFeatures() {
        return m;
    }

    /** Input width N. */
    public int inFeatures() {
        return n;
    }

    /** y [B, M] for x [B, N] (float in, float out; integer arithmetic inside). */
    public Tensor forward(Tensor x) {
        if (x.rank() != 2 || x.dim(1) != n) {
            throw new IllegalArgumentException("Int8TtLinear(" + n + "->" + m + "): input must be [B, " + n + "], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        int b = x.dim(0);
        float[] xf = x.data();
        float sx = inputScale;
        if (sx == 0f) {
            float max = 0f;
            for (float f : xf) {
                max = Math.max(max, Math.abs(f));
            }
            sx = max == 0f ? 1f : max / 127f;
        }
        byte[] xq = new byte[b * n];
        float sxFinal = sx;
        Parallel.forRange(xf.length, (from, to) -> IntMatrix.quantizeRange(xf, sxFinal, -128, 127, xq, from, to));
        int[] hAcc = new int[b * r];
        gemm(vPacked, b, r, n, xq, v, hAcc);
        IntMatrix h = IntMatrix.requantize(hAcc, b, r, sx * vScale);
        float[] y = new float[b * m];
        float scale = h.scale * uScale;
        if (uPacked != null) {
            Int8Gemm.gemmToFloat(uPacked, b, h.data, 0, r, y, 0, m, scale, bias);
        } else {
            int[] yAcc = new int[b * m];
            gemm(null, b, m, r, h.data, u, yAcc);
            Parallel.forRows(b, m, (from, to) -> {
                for (int i = from; i < to; i++) {
                    for (int j = 0; j < m; j++) {
                        y[i * m + j] = yAcc[i * m + j] * scale + (bias == null ? 0f : bias[j]);
                    }
                }
            });
        }
        return Tensor.wrap(y, b, m);
    }

    private void gemm(Int8Gemm.Packed packed, int rows, int cols, int depth, byte[] a, byte[] bMatrix, int[] c) {
        if (packed != null) {
            Int8Gemm.gemm(packed, rows, a, 0, depth, c, 0, cols);
        } else {
            Int8Gemm.gemm(Int8Path.SCALAR, rows, cols, depth, a, 0, depth, bMatrix, 0, depth, c, 0, cols);
        }
    }

    /** An int8 matrix with its real-valued scale (value = scale * integer). */
    static final class IntMatrix {
        final byte[] data;
        final int rows, cols;
        final float scale;

        IntMatrix(byte[] data, int rows, int cols, float scale) {
            this.data = data;
            this.rows = rows;
            this.cols = cols;
            this.scale = scale;
        }

        static IntMatrix quantize(Tensor t, float scale, int bits) {
            byte[] q = new byte[t.numel()];
            quantizeInto(t.data(), scale, bits, q);
            return new IntMatrix(q, 1, q.length, scale);
        }

        static void quantizeInto(float[] x, float scale, int bits, byte[] out) {
            quantizeRange(x, scale, -(1 << (bits - 1)), (1 << (bits - 1)) - 1, out, 0, x.length);
        }

        static void quantizeRange(float[] x, float scale, int lo, int hi, byte[] out, int from, int to) {
            if (scale > 0f && Float.isFinite(scale) && lo >= -128 && hi <= 127) { // native AVX2, the same codes as below
                ttq.kernels.FusedKernels.quantizeToInt8(x, out, from, to, scale, lo, hi);
                return;
            }
            for (int i = from; i < to; i++) {
                float u = x[i] / scale;
                out[i] = (byte) Math.rint(u < lo ? lo : (u > hi ? hi : u));
            }
        }

        /** int32 accumulators worth {@code accScale} each, back to int8 with scale max|acc|/127. */
        static IntMatrix requantize(int[] acc, int rows, int cols, float accScale) {
            int max = 0;
            for (int a : acc) {
                max = Math.max(max, Math.abs(a));
            }
            float step = max == 0 ? 1f : max / 127f;
            byte[] q = new byte[acc.length];
            Int8Gemm.requantize(acc, 1f / step, q, acc.length);
            return new IntMatrix(q, rows, cols, accScale * step);
        }

        IntMatrix reshape(int r, int c) {
            if (r * c != data.length) {
                throw new IllegalStateException("reshape " + rows + "x" + cols + " to " + r + "x" + c);
            }
            return new IntMatrix(data, r, c, scale);
        }

        /** this [R, K] x other [K, C] in int32, requantized to int8. */
        IntMatrix times(IntMatrix other, Int8Path path) {
            int rr = rows, k = cols, cc = other.cols;
            byte[] bt = new byte[cc * k]; // other^T, k-contiguous as the kernels want
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < cc; j++) {
                    bt[j * k + i] = other.data[i * cc + j];
                }
            }
            int[] acc = new int[rr * cc];
            Int8Gemm.gemm(path, rr, cc, k, data, 0, k, bt, 0, k, acc, 0, cc);
            return requantize(acc, rr, cc, scale * other.scale);
        }
    }
}
