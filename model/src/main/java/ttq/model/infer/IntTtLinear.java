package ttq.model.infer;

import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import ttq.engine.Tensor;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.kernels.InferenceKernels;
import ttq.kernels.Parallel;
import ttq.model.tt.TtLinear;

/**
 * A weight-quantized {@link TtLinear} in integer arithmetic. The input becomes INT8 codes with the
 * layer's learned input scale (the training network quantizes it with the same scale, so the codes
 * are the same), or with max|row| / 127 per token when the layer quantizes no input. The cores
 * become their b-bit codes (INT4/INT2 codes held as int8) and are contracted in one of two orders
 * ({@link TtOrder}):
 *
 * <ul>
 *   <li>pair: U [M, r] and V [r, N] are the exact integer contractions of the output and input
 *       cores, each requantized once to INT8 with one scale per row (rows that fit stay exact);
 *       a call computes h = x V^T in int32, requantizes h to INT8 with one scale per token, and
 *       writes y = s_h s_U (h U^T) + b straight to floats from the kernel;</li>
 *   <li>chain: x is contracted with G_2d, ..., G_{d+1}, then G_d, ..., G_1, one INT8 product per
 *       core, each int32 result requantized to INT8 with one scale per token.</li>
 * </ul>
 *
 * Every scale is per token or per weight row, never per batch, so a token's output does not depend
 * on the other utterances of the batch.
 */
public final class IntTtLinear implements RuntimeLinear {
    /** Orders chosen by timing, shared by the layers of one shape. */
    private static final ConcurrentHashMap<String, TtOrder> MEASURED = new ConcurrentHashMap<>();

    private final int m, n, r, d, bits;
    private final int[] outModes, inModes, ranks;
    private final float inputScale; // 0: per token, max|x| / 127
    private final float[] bias;
    private final String shapeKey;
    private final TtOrder forced;
    private volatile TtOrder chosen;
    private String timings = "";

    // pair
    private final Int8Weight vWeight, uWeight; // [V_hi; V_lo] [2r, N] (or V [r, N] when exact), U [M, r]
    private final boolean vSplit;              // V carries a second INT8 digit
    private final float[] vScale, uScale;      // per row of V (r) and of U (M), s_w^d included
    // chain
    private final Int8Weight[] coreWeights;    // input cores as [r_k, n_k r_{k+1}], output cores as [r_k m_k, r_{k+1}]
    private final float coreScale;             // s_w
    private final int[] outPermutation;        // chain output index (m_d..m_1 order) -> y index
    private final int chainWidth;              // widest per-token intermediate of the chain

    /** Compiles a weight-quantized layer (its scales initialised) for the given order ({@link TtOrder#AUTO}: timed). */
    public IntTtLinear(TtLinear layer, TtOrder order) {
        LearnedScaleQuantizer wq = layer.weightQuantizer();
        if (wq == null || !wq.isInitialized()) {
            throw new IllegalArgumentException("integer TT layer: the layer's weights must be quantized with an initialised scale");
        }
        LearnedScaleQuantizer iq = layer.inputQuantizer();
        if (iq != null && iq.bits() != 8) {
            throw new IllegalArgumentException("integer TT layer: the input quantizer must have 8 bits, has " + iq.bits());
        }
        this.forced = order;
        this.m = layer.outFeatures();
        this.n = layer.inFeatures();
        this.outModes = layer.outModes();
        this.inModes = layer.inModes();
        this.ranks = layer.ranks();
        this.d = outModes.length;
        this.r = ranks[d];
        this.bits = wq.bits();
        float sw = wq.scale().item();
        this.coreScale = sw;
        this.inputScale = iq == null || !iq.isInitialized() ? 0f : iq.scale().item();
        this.bias = layer.bias() == null ? null : layer.bias().toArray();

        List<Tensor> cores = layer.cores();
        double[][] codes = new double[2 * d][];
        for (int k = 0; k < 2 * d; k++) {
            codes[k] = Codes.of(cores.get(k), sw, bits);
        }
        // pair: exact integer U and V, requantized once per row
        TtFactors f = TtFactors.of(layer, (k, core) -> codes[k]);
        double swd = Codes.power(sw, d);
        byte[] vq = new byte[2 * r * n], uq = new byte[m * r];
        float[] vs = Codes.requantizeRows(f.v, r, n, vq), us = Codes.requantizeRows(f.u, m, r, uq);
        // V's rows are N long, so one INT8 digit per value costs ~0.8% (max/rms ~ 4): a second digit holds
        // the rounding residual in units of step / 127, one more row block of the same product
        boolean split = false;
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < n; j++) {
                double residual = f.v[i * n + j] / vs[i] - vq[i * n + j];
                byte lo = (byte) Math.max(-127, Math.min(127, Math.rint(residual * 127)));
                vq[(r + i) * n + j] = lo;
                split |= lo != 0;
            }
        }
        this.vSplit = split;
        this.vScale = new float[r];
        for (int i = 0; i < r; i++) {
            vScale[i] = (float) (swd * vs[i]);
        }
        this.uScale = new float[m];
        for (int i = 0; i < m; i++) {
            uScale[i] = (float) (swd * us[i]);
        }
        this.vWeight = split ? new Int8Weight(vq, 2 * r, n) : new Int8Weight(java.util.Arrays.copyOf(vq, r * n), r, n);
        this.uWeight = new Int8Weight(uq, m, r);
        // layers of one shape, precision and kernel choice time alike, so they share one timing
        this.shapeKey = "tt " + java.util.Arrays.toString(outModes) + java.util.Arrays.toString(inModes) + java.util.Arrays.toString(ranks)
                + " INT" + bits + (inputScale > 0 ? " static" : " dynamic") + (vWeight.narrow() ? " narrowV" : "")
                + (uWeight.narrow() ? " narrowU" : "");
        // chain: each core as the right operand of one product
        this.coreWeights = new Int8Weight[2 * d];
        for (int k = 0; k < 2 * d; k++) {
            byte[] c = new byte[codes[k].length];
            for (int i = 0; i < c.length; i++) {
                c[i] = (byte) codes[k][i];
            }
            coreWeights[k] = k >= d ? new Int8Weight(c, ranks[k], inModes[k - d] * ranks[k + 1])
                    : new Int8Weight(c, ranks[k] * outModes[k], ranks[k + 1]);
        }
        int width = Math.max(n, m), perToken = n, q = 1;
        for (int k = 2 * d - 1; k >= d; k--) {
            perToken /= inModes[k - d];
            width = Math.max(width, perToken * ranks[k]);
        }
        for (int k = d - 1; k >= 0; k--) {
            width = Math.max(width, q * ranks[k] * outModes[k]);
            q *= outModes[k];
        }
        this.chainWidth = width;
        this.outPermutation = new int[m];
        for (int c = 0; c < m; c++) {
            // c's digits: m_{d-1} slowest ... m_0 fastest; y's: m_0 slowest ... m_{d-1} fastest
            int rest = c, y = 0;
            int[] digit = new int[d];
            for (int k = 0; k < d; k++) {
                digit[k] = rest % outModes[k];
                rest /= outModes[k];
            }
            for (int k = 0; k < d; k++) {
                y = y * outModes[k] + digit[k];
            }
            outPermutation[c] = y;
        }
    }

    /** Input width N. */
    @Override
    public int inFeatures() {
        return n;
    }

    /** Output width M. */
    @Override
    public int outFeatures() {
        return m;
    }

    /** The weight bit width b. */
    int bits() {
        return bits;
    }

    @Override
    public void forward(float[] x, int offX, int rows, float[] y, int offY, Scratch s) {
        if (rows == 0) {
            return;
        }
        if (order() == TtOrder.CHAIN) {
            chain(x, offX, rows, y, offY, s);
        } else {
            pair(x, offX, rows, y, offY, s);
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * y [B, M] for x [B, N] as a new tensor, rows split over the cores ({@link Parallel}), each part
     * with its thread's scratch: for benchmarks and for use outside a {@link RuntimeSession}.
     */
    public Tensor forward(Tensor x) {
        if (x.rank() != 2 || x.dim(1) != n) {
            throw new IllegalArgumentException("integer TT layer (" + n + " -> " + m + "): input must be [B, " + n + "], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        int b = x.dim(0);
        float[] xf = x.data(), y = new float[b * m];
        Parallel.forRows(b, n + m, (from, to) -> forward(xf, from * n, to - from, y, from * m, SCRATCH.get()));
        return Tensor.wrap(y, b, m);
    }

    /**
     * The order this layer runs: forced, or timed once per layer shape (at 16 and 256 rows, the sizes of
     * one utterance and of a batch). One order for every batch size, because the two orders round
     * differently: an utterance's answer must not depend on the batch it arrives in.
     */
    TtOrder order() {
        if (forced != TtOrder.AUTO) {
            return forced;
        }
        TtOrder o = chosen;
        if (o == null) {
            o = MEASURED.computeIfAbsent(shapeKey, key -> measure());
            chosen = o;
        }
        return o;
    }

    /**
     * Times both orders (random input, best of five runs after two, once both are warm) at 16 and 256 rows and keeps the
     * pair unless the chain's total is more than 20% lower: the pair's FLOPs are never above the
     * chain's for equal ranks, and a near tie must not flip the choice from one run to the next.
     */
    private TtOrder measure() {
        // warm both orders' Java loops up first (a few hundred small calls get them compiled), so the timing
        // compares compiled code rather than the interpreter
        float[] wx = new float[4 * n], wy = new float[4 * m];
        Scratch ws = new Scratch();
        for (int i = 0; i < 300; i++) {
            pair(wx, 0, 4, wy, 0, ws);
            chain(wx, 0, 4, wy, 0, ws);
        }
        long pairTotal = 0, chainTotal = 0;
        for (int rows : new int[] {16, 256}) {
            float[] x = new float[rows * n], y = new float[rows * m];
            Random random = new Random(rows);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            Scratch s = new Scratch();
            long pairBest = Long.MAX_VALUE, chainBest = Long.MAX_VALUE;
            for (int rep = 0; rep < 7; rep++) {
                long t0 = System.nanoTime();
                pair(x, 0, rows, y, 0, s);
                long t1 = System.nanoTime();
                chain(x, 0, rows, y, 0, s);
                long t2 = System.nanoTime();
                if (rep >= 2) {
                    pairBest = Math.min(pairBest, t1 - t0);
                    chainBest = Math.min(chainBest, t2 - t1);
                }
            }
            pairTotal += pairBest;
            chainTotal += chainBest;
            timings = timings + String.format(Locale.ROOT, "%s%d rows: pair %.1f us, chain %.1f us", timings.isEmpty() ? "" : "; ", rows,
                    pairBest / 1e3, chainBest / 1e3);
        }
        return chainTotal < 0.8 * pairTotal ? TtOrder.CHAIN : TtOrder.PAIR;
    }

    /** INT8 codes of x's rows into {@code codes}; per-token scales into {@code scales} (all equal with a static input scale). */
    private void quantizeInput(float[] x, int offX, int rows, byte[] codes, float[] scales) {
        if (inputScale > 0f) {
            InferenceKernels.quantizeToInt8(x, offX, codes, 0, rows * n, inputScale);
            java.util.Arrays.fill(scales, 0, rows, inputScale);
            return;
        }
        for (int i = 0; i < rows; i++) {
            float max = 0f;
            int base = offX + i * n;
            for (int j = 0; j < n; j++) {
                max = Math.max(max, Math.abs(x[base + j]));
            }
            float sx = max > 0f ? max / 127f : 1f;
            scales[i] = sx;
            InferenceKernels.quantizeToInt8(x, base, codes, i * n, n, sx);
        }
    }

    private void pair(float[] x, int offX, int rows, float[] y, int offY, Scratch s) {
        byte[] xc = s.codes(rows * n);
        float[] xs = s.rowScale(rows);
        quantizeInput(x, offX, rows, xc, xs);
        int w = vWeight.n; // r, or 2r with V's second digit
        int[] acc = s.acc(rows * w);
        vWeight.multiply(rows, xc, 0, n, acc, 0, w);
        byte[] hc = s.codes2(rows * r);
        float[] hs = s.rowScale2(rows);
        if (r <= InferenceKernels.MAX_REQUANTIZE_RANK) {
            InferenceKernels.requantizeRows(rows, r, w, acc, vScale, inputScale > 0f ? null : xs, inputScale, hc, hs);
        } else {
            requantizeWide(rows, w, acc, xs, hc, hs);
        }
        uWeight.multiplyToFloat(rows, hc, 0, r, y, offY, m, 1f, hs, 0, uScale, bias, s);
    }

    /** The native requantization's rule in Java, for bonds wider than its stack buffer. */
    private void requantizeWide(int rows, int w, int[] acc, float[] xs, byte[] hc, float[] hs) {
        for (int i = 0; i < rows; i++) {
            float sx = inputScale > 0f ? inputScale : xs[i], max = 0f;
            for (int j = 0; j < r; j++) {
                float hi = acc[i * w + j];
                max = Math.max(max, Math.abs((w > r ? hi + acc[i * w + r + j] * (1f / 127f) : hi) * vScale[j] * sx));
            }
            float step = max > 0f ? max / 127f : 1f;
            hs[i] = step;
            for (int j = 0; j < r; j++) {
                float hi = acc[i * w + j];
                float u = (w > r ? hi + acc[i * w + r + j] * (1f / 127f) : hi) * vScale[j] * sx / step;
                hc[i * r + j] = (byte) Math.rint(u > 127f ? 127f : (u < -127f ? -127f : u));
            }
        }
    }

    private void chain(float[] x, int offX, int rows, float[] y, int offY, Scratch s) {
        byte[] a = s.codes(rows * chainWidth);
        byte[] b = s.codes2(rows * chainWidth);
        float[] ts = s.rowScale(rows);
        quantizeInput(x, offX, rows, a, ts);
        int[] acc = s.acc(rows * chainWidth);
        // input side: A [rows * P, n_k r_{k+1}] x G_k [r_k, n_k r_{k+1}]^T -> [rows * P, r_k], P = n_1 .. n_{k-1}
        int perToken = n / inModes[d - 1];
        for (int k = 2 * d - 1; k >= d; k--) {
            Int8Weight g = coreWeights[k];
            int rowsA = rows * perToken;
            g.multiply(rowsA, a, 0, g.k, acc, 0, g.n);
            requantizePerToken(acc, rows, perToken * g.n, a, ts);
            if (k > d) {
                perToken /= inModes[k - d - 1];
            }
        }
        // output side: A [rows * Q, r_{k+1}] x G_k [r_k m_k, r_{k+1}]^T -> [rows * Q, r_k, m_k], Q = m_d .. m_{k+2}
        int q = 1;
        for (int k = d - 1; k >= 0; k--) {
            Int8Weight g = coreWeights[k];
            g.multiply(rows * q, a, 0, g.k, acc, 0, g.n);
            if (k == 0) {
                break;
            }
            requantizePerToken(acc, rows, q * g.n, b, ts);
            // [rows * Q, r_k, m_k] -> [rows * Q, m_k, r_k]: the next product contracts r_k
            int rk = ranks[k], mk = outModes[k];
            for (int row = 0; row < rows * q; row++) {
                int base = row * rk * mk;
                for (int p = 0; p < rk; p++) {
                    for (int i = 0; i < mk; i++) {
                        a[base + i * rk + p] = b[base + p * mk + i];
                    }
                }
            }
            q *= mk;
        }
        // acc [rows, m_d .. m_1, m_0] -> y [rows, m_0 .. m_d]
        for (int row = 0; row < rows; row++) {
            float scale = ts[row] * coreScale;
            int base = row * m, out = offY + row * m;
            for (int c = 0; c < m; c++) {
                int j = outPermutation[c];
                y[out + j] = acc[base + c] * scale + (bias == null ? 0f : bias[j]);
            }
        }
    }

    /**
     * int32 results worth ts[token] * s_w each, back to INT8 with one scale per token (blocks of
     * {@code perToken} values): exact when the block fits [-127, 127], else max / 127. Updates ts.
     */
    private void requantizePerToken(int[] acc, int rows, int perToken, byte[] out, float[] ts) {
        for (int t = 0; t < rows; t++) {
            int base = t * perToken, max = 0;
            for (int i = 0; i < perToken; i++) {
                max = Math.max(max, Math.abs(acc[base + i]));
            }
            if (max <= 127) {
                for (int i = 0; i < perToken; i++) {
                    out[base + i] = (byte) acc[base + i];
                }
                ts[t] *= coreScale;
            } else {
                float step = max / 127f;
                for (int i = 0; i < perToken; i++) {
                    float u = acc[base + i] / step;
                    out[base + i] = (byte) Math.rint(u > 127f ? 127f : (u < -127f ? -127f : u));
                }
                ts[t] *= coreScale * step;
            }
        }
    }

    /** One line: bits, shape, rank, input quantization and the order picked (with the timings, when this layer measured them). */
    @Override
    public String describe() {
        String input = inputScale > 0 ? "input INT8 at its learned scale" : "input INT8 per token (max/127)";
        String kernel = vWeight.narrow() || uWeight.narrow() ? ", AVX2 byte kernel for |w| <= 16" : "";
        TtOrder o = order();
        String how = forced != TtOrder.AUTO ? "forced" : timings.isEmpty() ? "timed on a layer of the same shape" : "timed: " + timings;
        return String.format(Locale.ROOT, "TT INT%d %d -> %d, rank %d, %s; order %s (%s)%s", bits, n, m, r, input, o.label(), how, kernel);
    }
}
