package ttq.kernels;

/**
 * Checked entry points to the fused training kernels of {@code native/ttq_train.h}: attention
 * probabilities and context (forward and backward) on q, k, v laid out [B, L, H * dh], and layer
 * norm with gain, bias and an optional residual. Extents are validated here before any native
 * call; the (batch, head) pairs or rows are split over the cores by {@link Parallel}. Results do not
 * depend on the thread count (every element is computed by one thread in a fixed order, and the
 * layer norm's parameter gradients are summed over fixed blocks of rows, in block order).
 */
public final class TrainingKernels {
    static {
        NativeLibrary.require();
    }

    /** Rows of one block of the layer norm's parameter-gradient partial sums. */
    public static final int NORM_BLOCK_ROWS = 32;

    private static final float[] NONE = new float[0];

    private TrainingKernels() {
    }

    /** p [B, H, L, L] = softmax(scale * Q_h K_h^T), keys where mask [B, L] is non-zero scored -1e9 first (mask may be null). */
    public static void attentionProbs(int b, int l, int h, int dh, float[] q, float[] k, float[] mask, float scale, float[] p) {
        checkAttention("attention probabilities", b, l, h, dh, q, k);
        checkMask(b, l, mask);
        need("attention probabilities", "p", p, (long) b * h * l * l);
        float[] m = mask == null ? NONE : mask;
        int hasMask = mask == null ? 0 : 1;
        Parallel.forRows(b * h, l * l * dh, (from, to) -> scratchOk(NativeKernels.ttq_attn_probs_forward(l, h, dh, q, k, m, hasMask, scale, p,
                from, to)));
    }

    /** Gradients dq, dk [B, L, H * dh] of {@link #attentionProbs} given p and dp [B, H, L, L] (written, not added). */
    public static void attentionProbsBackward(int b, int l, int h, int dh, float[] q, float[] k, float[] mask, float scale, float[] p,
                                              float[] dp, float[] dq, float[] dk) {
        checkAttention("attention probabilities backward", b, l, h, dh, q, k, dq, dk);
        checkMask(b, l, mask);
        need("attention probabilities backward", "p", p, (long) b * h * l * l);
        need("attention probabilities backward", "dp", dp, (long) b * h * l * l);
        float[] m = mask == null ? NONE : mask;
        int hasMask = mask == null ? 0 : 1;
        Parallel.forRows(b * h, 2 * l * l * dh, (from, to) -> scratchOk(NativeKernels.ttq_attn_probs_backward(l, h, dh, q, k, m, hasMask, scale,
                p, dp, dq, dk, from, to)));
    }

    /** out [B, L, H * dh] = P_h V_h per head, heads side by side in each row. */
    public static void attentionContext(int b, int l, int h, int dh, float[] p, float[] v, float[] out) {
        checkAttention("attention context", b, l, h, dh, v, out);
        need("attention context", "p", p, (long) b * h * l * l);
        Parallel.forRows(b * h, l * l * dh, (from, to) -> NativeKernels.ttq_attn_context_forward(l, h, dh, p, v, out, from, to));
    }

    /** Gradients dp [B, H, L, L] and dv [B, L, H * dh] of {@link #attentionContext} (written, not added). */
    public static void attentionContextBackward(int b, int l, int h, int dh, float[] p, float[] v, float[] dout, float[] dp, float[] dv) {
        checkAttention("attention context backward", b, l, h, dh, v, dout, dv);
        need("attention context backward", "p", p, (long) b * h * l * l);
        need("attention context backward", "dp", dp, (long) b * h * l * l);
        Parallel.forRows(b * h, 2 * l * l * dh, (from, to) -> scratchOk(NativeKernels.ttq_attn_context_backward(l, h, dh, p, v, dout, dp, dv,
                from, to)));
    }

    /**
     * y = gamma * xhat + beta over rows of width d, xhat = norm(x + res) (res may be null); writes
     * xhat and 1/std per row (rstd) for the backward.
     */
    public static void layerNorm(int rows, int d, float[] x, float[] res, float[] gamma, float[] beta, float eps, float[] xhat, float[] y,
                                 float[] rstd) {
        long n = checkNorm("layer norm", rows, d, gamma, beta, rstd);
        need("layer norm", "x", x, n);
        need("layer norm", "xhat", xhat, n);
        need("layer norm", "y", y, n);
        if (res != null) {
            need("layer norm", "residual", res, n);
        }
        if (!(eps >= 0f) || !Float.isFinite(eps)) {
            throw new IllegalArgumentException("layer norm: eps must be finite and >= 0, got " + eps);
        }
        float[] r = res == null ? NONE : res;
        int hasRes = res == null ? 0 : 1;
        Parallel.forRows(rows, d, (from, to) -> NativeKernels.ttq_layernorm_forward(d, x, r, hasRes, gamma, beta, eps, xhat, y, rstd, from, to));
    }

    /**
     * Backward of {@link #layerNorm}: writes dx and returns the parameter gradients' partial sums,
     * [blocks][2][d] flattened (dgamma then dbeta per block of {@link #NORM_BLOCK_ROWS} rows), for
     * the caller to add in block order.
     */
    public static float[] layerNormBackward(int rows, int d, float[] xhat, float[] rstd, float[] gamma, float[] dy, float[] dx) {
        long n = checkNorm("layer norm backward", rows, d, gamma, gamma, rstd);
        need("layer norm backward", "xhat", xhat, n);
        need("layer norm backward", "dy", dy, n);
        need("layer norm backward", "dx", dx, n);
        int blocks = (rows + NORM_BLOCK_ROWS - 1) / NORM_BLOCK_ROWS;
        float[] partial = new float[blocks * 2 * d];
        Parallel.forRows(blocks, NORM_BLOCK_ROWS * d, (from, to) -> {
            for (int blk = from; blk < to; blk++) {
                float[] dg = new float[d], db = new float[d];
                NativeKernels.ttq_layernorm_backward(d, xhat, rstd, gamma, dy, dx, dg, db, (long) blk * NORM_BLOCK_ROWS,
                        Math.min(rows, (long) (blk + 1) * NORM_BLOCK_ROWS));
                System.arraycopy(dg, 0, partial, blk * 2 * d, d);
                System.arraycopy(db, 0, partial, blk * 2 * d + d, d);
            }
        });
        return partial;
    }

    /**
     * Softmax (or log-softmax) over rows of width n into out, and each row's log-partition
     * max + log(sum exp(x - max)) into lse.
     */
    public static void softmaxRows(int rows, int n, float[] x, float[] out, float[] lse, boolean log) {
        if (rows < 0 || n < 1) {
            throw new IllegalArgumentException("softmax: needs rows >= 0 and width >= 1, got " + rows + " x " + n);
        }
        need("softmax", "x", x, (long) rows * n);
        need("softmax", "out", out, (long) rows * n);
        need("softmax", "lse", lse, rows);
        Parallel.forRows(rows, 8 * n, (from, to) -> NativeKernels.ttq_softmax_rows(n, x, out, lse, log ? 1 : 0, from, to));
    }

    private static void scratchOk(int status) {
        if (status != 0) {
            throw new OutOfMemoryError("attention kernel: native scratch could not be allocated");
        }
    }

    private static long checkNorm(String op, int rows, int d, float[] gamma, float[] beta, float[] rstd) {
        if (rows < 0 || d < 1) {
            throw new IllegalArgumentException(op + ": needs rows >= 0 and width >= 1, got " + rows + " x " + d);
        }
        need(op, "gamma", gamma, d);
        need(op, "beta", beta, d);
        need(op, "rstd", rstd, rows);
        return (long) rows * d;
    }

    private static void checkAttention(String op, int b, int l, int h, int dh, float[]... bld) {
        if (b < 0 || l < 1 || h < 1 || dh < 1) {
            throw new IllegalArgumentException(op + ": bad sizes batch " + b + ", length " + l + ", heads " + h + ", head width " + dh);
        }
        long n = (long) b * l * h * dh, pairs = (long) b * h * l * l;
        if (n > Integer.MAX_VALUE || pairs > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + Math.max(n, pairs) + " elements exceed one Java array");
        }
        for (float[] a : bld) {
            need(op, "operand", a, n);
        }
    }

    private static void checkMask(int b, int l, float[] mask) {
        if (mask != null && mask.length != (long) b * l) {
            throw new IllegalArgumentException("attention: padding mask of " + mask.length + " values, expected batch x length = " + (long) b * l);
        }
    }

    private static void need(String op, String name, float[] a, long n) {
        if (a == null || a.length < n) {
            throw new IllegalArgumentException(op + ": " + name + " has " + (a == null ? "no array" : a.length + " elements")
                    + ", needs " + n);
        }
    }
}
