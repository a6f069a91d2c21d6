package ttq.kernels;

/**
 * Checked entry points of the forward-only inference runtime's kernels ({@code native/ttq_infer.h},
 * plus single-threaded calls of the GELU, INT8-code, skinny and factored kernels). Every call runs
 * on the calling thread: the runtime splits a batch by utterances over its own threads, so nothing
 * here hands work to {@link Parallel}. Every extent is checked here before the native call.
 */
public final class InferenceKernels {
    static {
        NativeLibrary.require();
    }

    private InferenceKernels() {
    }

    /**
     * Integer self-attention of one utterance of {@code n} tokens over {@code heads} heads of width
     * {@code dh}: q, k, v are INT8 codes, token t of head h at {@code [off + t * ld + h * dh, + dh)};
     * score_j = sScore * (q_i . k_j), softmax over the n keys, probabilities to codes
     * rint(clamp(p / sP, -128, 127)), and {@code out[offO + i * ldo + h * dh + c] = sOut * sum_j code_j v_j[c]}.
     */
    public static void attentionInt8(int n, int heads, int dh, byte[] q, int offQ, byte[] k, int offK, byte[] v, int offV, int ld,
                                     float sScore, float sP, float sOut, float[] out, int offO, int ldo) {
        attentionInt8(Int8Path.selected(), n, heads, dh, q, offQ, k, offK, v, offV, ld, sScore, sP, sOut, out, offO, ldo);
    }

    /**
     * {@link #attentionInt8} on a given path: the SIMD paths run both products on the packed INT8 GEMM
     * kernels, the portable path on plain loops; the integer sums are exact either way, so on one CPU every path
     * gives the same floats.
     */
    public static void attentionInt8(Int8Path path, int n, int heads, int dh, byte[] q, int offQ, byte[] k, int offK, byte[] v, int offV,
                                     int ld, float sScore, float sP, float sOut, float[] out, int offO, int ldo) {
        path.requireSupported();
        int width = checkAttention("int8 attention", n, heads, dh, ld, ldo, sScore, sP, sOut);
        if (!(sP > 0f)) {
            throw new IllegalArgumentException("int8 attention: the probability scale must be positive, got " + sP);
        }
        need("int8 attention", "q", q == null ? -1 : q.length, offQ, n, ld, width);
        need("int8 attention", "k", k == null ? -1 : k.length, offK, n, ld, width);
        need("int8 attention", "v", v == null ? -1 : v.length, offV, n, ld, width);
        need("int8 attention", "out", out == null ? -1 : out.length, offO, n, ldo, width);
        if (n == 0 || heads == 0) {
            return;
        }
        status("int8 attention", path == Int8Path.SCALAR
                ? NativeKernels.ttq_attention_i8(n, heads, dh, q, offQ, k, offK, v, offV, ld, sScore, sP, sOut, out, offO, ldo)
                : NativeKernels.ttq_attention_i8_gemm(path.code, n, heads, dh, q, offQ, k, offK, v, offV, ld, sScore, sP, sOut, out, offO, ldo));
    }

    /** FP32 self-attention of one utterance, laid out as {@link #attentionInt8}: softmax(scale * q k^T) v per head. */
    public static void attentionFloat(int n, int heads, int dh, float[] q, int offQ, float[] k, int offK, float[] v, int offV, int ld,
                                      float scale, float[] out, int offO, int ldo) {
        int width = checkAttention("attention", n, heads, dh, ld, ldo, scale, 1f, 1f);
        need("attention", "q", q == null ? -1 : q.length, offQ, n, ld, width);
        need("attention", "k", k == null ? -1 : k.length, offK, n, ld, width);
        need("attention", "v", v == null ? -1 : v.length, offV, n, ld, width);
        need("attention", "out", out == null ? -1 : out.length, offO, n, ldo, width);
        if (out == q || out == k || out == v) {
            throw new IllegalArgumentException("attention: the output aliases an input");
        }
        if (n == 0 || heads == 0) {
            return;
        }
        status("attention", NativeKernels.ttq_attention_f32(n, heads, dh, q, offQ, k, offK, v, offV, ld, scale, out, offO, ldo));
    }

    /**
     * Rows of y = gamma * norm(x + a) + beta over the last axis of width d (a may be null; y may be
     * x): the residual add and post-LN of an encoder block.
     */
    public static void addLayerNorm(int rows, int d, float[] x, int offX, float[] a, int offA, float[] gamma, float[] beta, float eps,
                                    float[] y, int offY) {
        if (rows < 0 || d < 1) {
            throw new IllegalArgumentException("layer norm: bad extent " + rows + " x " + d);
        }
        need("layer norm", "x", x == null ? -1 : x.length, offX, rows, d, d);
        if (a != null) {
            need("layer norm", "a", a.length, offA, rows, d, d);
        }
        need("layer norm", "y", y == null ? -1 : y.length, offY, rows, d, d);
        if (gamma == null || beta == null || gamma.length < d || beta.length < d) {
            throw new IllegalArgumentException("layer norm: gamma and beta need " + d + " values");
        }
        if (!(eps >= 0f)) {
            throw new IllegalArgumentException("layer norm: eps must be >= 0, got " + eps);
        }
        if (rows == 0) {
            return;
        }
        NativeKernels.ttq_add_layernorm(rows, d, x, offX, a, offA, gamma, beta, eps, y, offY);
    }

    /** y[off, off + n) = GELU(x[off, off + n)) on the calling thread (y may be x). */
    public static void gelu(float[] x, float[] y, int off, int n) {
        if (off < 0 || n < 0 || x == null || y == null || (long) off + n > x.length || (long) off + n > y.length) {
            throw new IllegalArgumentException("gelu: range [" + off + ", " + ((long) off + n) + ") outside the arrays");
        }
        if (n > 0) {
            NativeKernels.ttq_gelu_forward_isa(SkinnyGemm.ISA, x, y, off, n);
        }
    }

    /**
     * out[offOut + i] = rint(clamp(x[offX + i] / d, -128, 127)) for i in [0, n) on the calling thread (d
     * positive and finite; NaN gives 0): INT8 codes of activations, equal to Java's
     * {@code (byte) Math.rint(...)} of the same clamp.
     */
    public static void quantizeToInt8(float[] x, int offX, byte[] out, int offOut, int n, float d) {
        if (x == null || out == null || offX < 0 || offOut < 0 || n < 0 || (long) offX + n > x.length || (long) offOut + n > out.length) {
            throw new IllegalArgumentException("quantize to int8: ranges [" + offX + ", +" + n + ") and [" + offOut + ", +" + n
                    + ") outside the arrays");
        }
        if (!(d > 0f) || !Float.isFinite(d)) {
            throw new IllegalArgumentException("quantize to int8: scale must be positive and finite, got " + d);
        }
        if (n > 0) {
            NativeKernels.ttq_quantize_codes(x, offX, out, offOut, n, d);
        }
    }

    /**
     * y = [x V^T, 1] upT for rows [0, rows) on the calling thread, at offsets: the FP32 rank-r
     * bottleneck (a TT layer contracted at its middle bond) with the bias folded in when k = r + 1.
     * x [rows, n] at offX, V [r, n], upT [k, m], hp [rows, k] scratch at offH, y [rows, m] at offY.
     */
    public static void factoredForward(int rows, int m, int n, int r, int k, float[] x, int offX, float[] v, float[] upT,
                                       float[] hp, int offH, float[] y, int offY) {
        if (rows < 0 || m < 1 || n < 1 || r < 1 || (k != r && k != r + 1) || k > FactoredKernels.MAX_K) {
            throw new IllegalArgumentException("factored forward: bad extents rows=" + rows + " m=" + m + " n=" + n + " r=" + r + " k=" + k);
        }
        need("factored forward", "x", x == null ? -1 : x.length, offX, rows, n, n);
        need("factored forward", "V", v == null ? -1 : v.length, 0, r, n, n);
        need("factored forward", "upT", upT == null ? -1 : upT.length, 0, k, m, m);
        need("factored forward", "hp", hp == null ? -1 : hp.length, offH, rows, k, k);
        need("factored forward", "y", y == null ? -1 : y.length, offY, rows, m, m);
        if (y == x || y == hp || hp == x || y == v || y == upT) {
            throw new IllegalArgumentException("factored forward: output arrays alias an input");
        }
        if (rows == 0) {
            return;
        }
        NativeKernels.ttq_factored_forward(SkinnyGemm.ISA, rows, m, n, r, k, x, offX, v, upT, hp, offH, y, offY);
    }

    /** C[m, n] = A[m, k] Bt[n, k]^T (small n) on the calling thread, at offsets; C is overwritten. */
    public static void smallN(int m, int n, int k, float[] a, int offA, int lda, float[] bt, int offB, int ldbt, float[] c, int offC, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("smallN: negative extent " + m + "x" + n + "x" + k);
        }
        need("smallN", "A", a == null ? -1 : a.length, offA, m, lda, k);
        need("smallN", "Bt", bt == null ? -1 : bt.length, offB, n, ldbt, k);
        need("smallN", "C", c == null ? -1 : c.length, offC, m, ldc, n);
        if (c == a || c == bt) {
            throw new IllegalArgumentException("smallN: the output array aliases an input");
        }
        if (m == 0 || n == 0) {
            return;
        }
        NativeKernels.ttq_skinny_smalln(SkinnyGemm.ISA, m, n, k, a, offA, lda, bt, offB, ldbt, c, offC, ldc);
    }

    /** C[m, n] = A[m, k] B[k, n] (small k) on the calling thread, at offsets; C is overwritten. */
    public static void smallK(int m, int n, int k, float[] a, int offA, int lda, float[] b, int offB, int ldb, float[] c, int offC, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("smallK: negative extent " + m + "x" + n + "x" + k);
        }
        need("smallK", "A", a == null ? -1 : a.length, offA, m, lda, k);
        need("smallK", "B", b == null ? -1 : b.length, offB, k, ldb, n);
        need("smallK", "C", c == null ? -1 : c.length, offC, m, ldc, n);
        if (c == a || c == b) {
            throw new IllegalArgumentException("smallK: the output array aliases an input");
        }
        if (m == 0 || n == 0) {
            return;
        }
        NativeKernels.ttq_skinny_smallk(SkinnyGemm.ISA, m, n, k, a, offA, lda, b, offB, ldb, c, offC, ldc);
    }

    /** Widest bond {@link #requantizeRows} takes (a stack buffer in C). */
    public static final int MAX_REQUANTIZE_RANK = 256;

    /**
     * The middle step of an integer TT layer: int32 sums acc [rows, w] of h = x V^T (w = r, or 2r with
     * V's second INT8 digit in columns r..2r-1, worth 1/127 of the first) become
     * h[i, j] = xs_i vScale_j (acc[i, j] + acc[i, r + j] / 127), requantized per row to INT8 codes hc
     * [rows, r] at scale hs[i] = max|h_i| / 127 (1 for a zero row), half to even. xs may be null: one
     * input scale xsScalar for every row. r is at most {@link #MAX_REQUANTIZE_RANK}.
     */
    public static void requantizeRows(int rows, int r, int w, int[] acc, float[] vScale, float[] xs, float xsScalar, byte[] hc, float[] hs) {
        if (rows < 0 || r < 1 || r > MAX_REQUANTIZE_RANK || (w != r && w != 2 * r)) {
            throw new IllegalArgumentException("requantize: bad extents rows=" + rows + " r=" + r + " w=" + w);
        }
        if (acc == null || acc.length < (long) rows * w || vScale == null || vScale.length < r || hc == null || hc.length < (long) rows * r
                || hs == null || hs.length < rows || (xs != null && xs.length < rows)) {
            throw new IllegalArgumentException("requantize: an array is null or too short for " + rows + " rows of " + r);
        }
        if (xs == null && !Float.isFinite(xsScalar)) {
            throw new IllegalArgumentException("requantize: input scale must be finite, got " + xsScalar);
        }
        for (int j = 0; j < r; j++) {
            if (!Float.isFinite(vScale[j])) {
                throw new IllegalArgumentException("requantize: scale " + j + " is not finite: " + vScale[j]);
            }
        }
        if (rows > 0) {
            NativeKernels.ttq_requantize_h(rows, r, w, acc, vScale, xs, xsScalar, hc, hs);
        }
    }

    /** Longest utterance the attention kernels take (their scratch holds n x n scores). */
    public static final int MAX_ATTENTION_TOKENS = 4096;

    /** Checks the extents and scales of an attention call; returns heads x dh. */
    private static int checkAttention(String op, int n, int heads, int dh, int ld, int ldo, float s1, float s2, float s3) {
        if (n < 0 || n > MAX_ATTENTION_TOKENS || heads < 0 || dh < 1) {
            throw new IllegalArgumentException(op + ": bad extents n=" + n + " (at most " + MAX_ATTENTION_TOKENS + ") heads=" + heads
                    + " dh=" + dh);
        }
        long width = (long) heads * dh;
        if (width > Integer.MAX_VALUE || ld < width || ldo < width) {
            throw new IllegalArgumentException(op + ": leading dimensions " + ld + ", " + ldo + " shorter than " + heads + " x " + dh);
        }
        if (!Float.isFinite(s1) || !Float.isFinite(s2) || !Float.isFinite(s3)) {
            throw new IllegalArgumentException(op + ": scales must be finite, got " + s1 + ", " + s2 + ", " + s3);
        }
        return (int) width;
    }

    /** Rows of width cols at stride ld from off must fit an array of the given length. */
    private static void need(String op, String name, int length, long off, int rows, int ld, int cols) {
        if (length < 0) {
            throw new IllegalArgumentException(op + ": operand " + name + " is null");
        }
        if (off < 0 || ld < cols) {
            throw new IllegalArgumentException(op + ": operand " + name + " has offset " + off + " and leading dimension " + ld
                    + " (needs >= " + cols + ")");
        }
        if (rows > 0 && cols > 0 && off + (long) (rows - 1) * ld + cols > length) {
            throw new IllegalArgumentException(op + ": operand " + name + " (" + rows + "x" + cols + ", ld " + ld + ", offset " + off
                    + ") needs " + (off + (long) (rows - 1) * ld + cols) + " elements but has " + length);
        }
    }

    private static void status(String op, int status) {
        if (status != 0) {
            throw new IllegalStateException(op + ": native scratch memory could not be allocated");
        }
    }
}
