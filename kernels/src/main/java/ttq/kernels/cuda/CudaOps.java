package ttq.kernels.cuda;

import java.util.Arrays;
import java.util.List;

/**
 * Typed launchers for the kernels of {@code native/cuda/ttq_cuda_kernels.cu}. Every launcher
 * checks sizes, buffer capacities and ranges in Java before anything reaches the GPU (a wrong
 * shape is an {@link IllegalArgumentException} naming the op, never an illegal address on the
 * device), computes the geometry, and launches through a {@link KernelLauncher}: the GPU's in
 * {@link CudaRuntime}, or a recording one in tests.
 */
public final class CudaOps {
    /** Every kernel the launchers use; the fatbin must define each (checked by a test at build time). */
    public static final List<String> KERNELS = List.of("ttq_gelu_forward", "ttq_gelu_backward", "ttq_softmax_forward",
            "ttq_softmax_backward", "ttq_layernorm_forward", "ttq_layernorm_backward_input", "ttq_layernorm_backward_params",
            "ttq_lsq_forward", "ttq_lsq_backward", "ttq_sum_partials", "ttq_adam_update", "ttq_batched_sgemm", "ttq_ttm_gather",
            "ttq_int8_gemm", "ttq_requantize");
    /** Most cores of a TTM lookup (the kernel's index array). */
    public static final int MAX_TTM_CORES = 8;

    private final KernelLauncher launcher;
    private final CachingAllocator allocator;

    /** @param allocator for the temporaries some ops need (the quantizer's per-block partial sums) */
    public CudaOps(KernelLauncher launcher, CachingAllocator allocator) {
        this.launcher = launcher;
        this.allocator = allocator;
    }

    private static final int F = Float.BYTES;

    // ------------------------------------------------------------------ elementwise

    /** y = GELU(x) (erf form) over n floats. */
    public void geluForward(CudaBuffer x, CudaBuffer y, long n) {
        need("gelu", n, F, x, y);
        launcher.launch("ttq_gelu_forward", LaunchGeometry.elementwise(n), x, y, n);
    }

    /** gx = gy * GELU'(x). */
    public void geluBackward(CudaBuffer x, CudaBuffer gy, CudaBuffer gx, long n) {
        need("gelu backward", n, F, x, gy, gx);
        launcher.launch("ttq_gelu_backward", LaunchGeometry.elementwise(n), x, gy, gx, n);
    }

    // ------------------------------------------------------------------ rows

    /** Softmax over the last axis of a [rows, cols] tensor. */
    public void softmaxForward(CudaBuffer x, CudaBuffer y, int rows, int cols) {
        positive("softmax", rows, cols);
        need("softmax", (long) rows * cols, F, x, y);
        launcher.launch("ttq_softmax_forward", LaunchGeometry.perRow(rows), x, y, rows, cols);
    }

    /** gx = y * (gy - rowsum(gy * y)) from the saved softmax output y. */
    public void softmaxBackward(CudaBuffer y, CudaBuffer gy, CudaBuffer gx, int rows, int cols) {
        positive("softmax backward", rows, cols);
        need("softmax backward", (long) rows * cols, F, y, gy, gx);
        launcher.launch("ttq_softmax_backward", LaunchGeometry.perRow(rows), y, gy, gx, rows, cols);
    }

    /** Layer norm over the last axis; saves per-row mean and 1/std for the backward. */
    public void layerNormForward(CudaBuffer x, CudaBuffer gamma, CudaBuffer beta, CudaBuffer y, CudaBuffer mean, CudaBuffer rstd,
                                 int rows, int cols, float eps) {
        positive("layer norm", rows, cols);
        if (!(eps > 0f) || !Float.isFinite(eps)) {
            throw new IllegalArgumentException("layer norm: eps must be finite and > 0, got " + eps);
        }
        need("layer norm", (long) rows * cols, F, x, y);
        need("layer norm gamma/beta", cols, F, gamma, beta);
        need("layer norm statistics", rows, F, mean, rstd);
        launcher.launch("ttq_layernorm_forward", LaunchGeometry.perRow(rows), x, gamma, beta, y, mean, rstd, rows, cols, eps);
    }

    /** Input gradient into gx; gamma and beta gradients added to ggamma and gbeta (they accumulate). */
    public void layerNormBackward(CudaBuffer x, CudaBuffer gamma, CudaBuffer mean, CudaBuffer rstd, CudaBuffer gy,
                                  CudaBuffer gx, CudaBuffer ggamma, CudaBuffer gbeta, int rows, int cols) {
        positive("layer norm backward", rows, cols);
        need("layer norm backward", (long) rows * cols, F, x, gy, gx);
        need("layer norm backward gamma", cols, F, gamma, ggamma, gbeta);
        need("layer norm backward statistics", rows, F, mean, rstd);
        launcher.launch("ttq_layernorm_backward_input", LaunchGeometry.perRow(rows), x, gamma, mean, rstd, gy, gx, rows, cols);
        launcher.launch("ttq_layernorm_backward_params", LaunchGeometry.perColumn(cols), x, mean, rstd, gy, ggamma, gbeta, rows, cols);
    }

    // ------------------------------------------------------------------ learned-scale quantizer

    /** y = scale * rint(clip(x / scale, -2^(b-1), 2^(b-1) - 1)), the scale read on the device (one float). */
    public void lsqForward(CudaBuffer x, CudaBuffer scale, CudaBuffer y, long n, int bits) {
        checkBits(bits);
        need("quantize", n, F, x, y);
        need("quantize scale", 1, F, scale);
        launcher.launch("ttq_lsq_forward", LaunchGeometry.elementwise(n), x, scale, y, n, qn(bits), qp(bits));
    }

    /**
     * Straight-through input gradient into gx and the scale gradient (paper eq. 2) into gscale,
     * added to it when {@code accumulate}. The scale gradient is a two-stage reduction (per-block
     * partials, then one block), so it does not depend on scheduling.
     */
    public void lsqBackward(CudaBuffer x, CudaBuffer scale, CudaBuffer gy, CudaBuffer gx, CudaBuffer gscale, long n, int bits,
                            boolean accumulate) {
        checkBits(bits);
        need("quantize backward", n, F, x, gy, gx);
        need("quantize backward scale", 1, F, scale, gscale);
        LaunchGeometry g = LaunchGeometry.elementwise(n);
        try (CudaBuffer partial = allocator.allocate((long) g.gridX() * F)) {
            launcher.launch("ttq_lsq_backward", g, x, scale, gy, gx, partial, n, qn(bits), qp(bits));
            launcher.launch("ttq_sum_partials", new LaunchGeometry(1, 1, 1, LaunchGeometry.BLOCK, 1, 1, 0), partial, g.gridX(), gscale,
                    accumulate ? 1 : 0);
        }
    }

    private static void checkBits(int bits) {
        if (bits < 2 || bits > 16) {
            throw new IllegalArgumentException("quantize: bits must be in 2..16, got " + bits);
        }
    }

    static float qn(int bits) {
        return -(1 << (bits - 1));
    }

    static float qp(int bits) {
        return (1 << (bits - 1)) - 1;
    }

    // ------------------------------------------------------------------ optimizer

    /** One Adam (or AdamW when {@code decoupled}) step at step number {@code step} >= 1, in place. */
    public void adamUpdate(CudaBuffer param, CudaBuffer grad, CudaBuffer m, CudaBuffer v, long n, float lr, float beta1, float beta2,
                           float eps, float weightDecay, boolean decoupled, long step) {
        adam(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, decoupled, step, false);
    }

    /**
     * One Adam step of a parameter optimized in the log domain (learned quantizer scales, see the
     * engine's {@code Optimizer}): the rule on log p with gradient p g and no weight decay, then exp.
     */
    public void adamUpdateLogDomain(CudaBuffer param, CudaBuffer grad, CudaBuffer m, CudaBuffer v, long n, float lr, float beta1,
                                    float beta2, float eps, long step) {
        adam(param, grad, m, v, n, lr, beta1, beta2, eps, 0f, false, step, true);
    }

    private void adam(CudaBuffer param, CudaBuffer grad, CudaBuffer m, CudaBuffer v, long n, float lr, float beta1, float beta2,
                      float eps, float weightDecay, boolean decoupled, long step, boolean logDomain) {
        need("adam", n, F, param, grad, m, v);
        if (step < 1) {
            throw new IllegalArgumentException("adam: step " + step + " < 1");
        }
        float bc1 = (float) (1 - Math.pow(beta1, step));
        float bc2 = (float) (1 - Math.pow(beta2, step));
        launcher.launch("ttq_adam_update", LaunchGeometry.elementwise(n), param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay,
                decoupled ? 1 : 0, bc1, bc2, logDomain ? 1 : 0);
    }

    // ------------------------------------------------------------------ products

    /**
     * {@code C[b] = alpha op(A[b]) op(B[b]) + beta C[b]} for {@code b < batch}, row-major with leading
     * dimensions and batch strides in elements: the TT chain's many small products.
     */
    public void batchedSgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, CudaBuffer a, int lda, long strideA,
                             CudaBuffer b, int ldb, long strideB, float beta, CudaBuffer c, int ldc, long strideC, int batch) {
        positive("batched gemm", m, n);
        if (k < 0 || batch < 1 || strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException("batched gemm: k " + k + ", batch " + batch + " and strides must be >= 0 (batch >= 1)");
        }
        operand("A", transA ? k : m, transA ? m : k, lda, strideA, batch, a);
        operand("B", transB ? n : k, transB ? k : n, ldb, strideB, batch, b);
        operand("C", m, n, ldc, strideC, batch, c);
        launcher.launch("ttq_batched_sgemm", LaunchGeometry.tiles(m, n, batch), transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha,
                a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC);
    }

    private static void operand(String name, int rows, int cols, int ld, long stride, int batch, CudaBuffer buffer) {
        if (cols > 0 && ld < cols) {
            throw new IllegalArgumentException("batched gemm: operand " + name + " is " + rows + "x" + cols + " but its leading dimension is " + ld);
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        long last = (long) (batch - 1) * stride + (long) (rows - 1) * ld + cols;
        buffer.require(last, F, "batched gemm operand " + name);
    }

    /** C[M, N] int32 = A[M, K] int8 . B[N, K]^T, both with K padded with zeros to {@code kPadded}, a multiple of 4. */
    public void int8Gemm(CudaBuffer a, CudaBuffer b, CudaBuffer c, int m, int n, int kPadded) {
        positive("int8 gemm", m, n);
        if (kPadded < 0 || kPadded % 4 != 0) {
            throw new IllegalArgumentException("int8 gemm: padded K " + kPadded + " must be a non-negative multiple of 4");
        }
        a.require((long) m * kPadded, 1, "int8 gemm A");
        b.require((long) n * kPadded, 1, "int8 gemm B");
        c.require((long) m * n, Integer.BYTES, "int8 gemm C");
        launcher.launch("ttq_int8_gemm", LaunchGeometry.tiles(m, n, 1), a, b, c, m, n, kPadded);
    }

    /** int32 to int8: clamp(rint(x * multiplier), -128, 127). */
    public void requantize(CudaBuffer x, CudaBuffer y, long n, float multiplier) {
        if (n < 0 || !Float.isFinite(multiplier)) {
            throw new IllegalArgumentException("requantize: n " + n + " and multiplier " + multiplier + " must be >= 0 and finite");
        }
        x.require(n, Integer.BYTES, "requantize input");
        y.require(n, 1, "requantize output");
        launcher.launch("ttq_requantize", LaunchGeometry.elementwise(n), x, y, n, multiplier);
    }

    // ------------------------------------------------------------------ TTM embedding

    /**
     * Rows {@code ids} of a TTM table with cores {@code F_k [p_{k-1}, m_k, n_k, p_k]} packed one after
     * another in {@code cores}, into {@code out [tokens, prod n_k]}. {@code ids} (host) are checked
     * against the table and must equal what {@code idsOnDevice} holds; {@code offsets} (d longs) and
     * {@code dims} (rowModes, colModes, ranks: 3d + 1 ints) are the device copies of
     * {@link #ttmCoreOffsets} and {@link #ttmDims}.
     */
    public void ttmGather(CudaBuffer cores, CudaBuffer offsets, CudaBuffer dims, int[] rowModes, int[] colModes, int[] ranks, int[] ids,
                          CudaBuffer idsOnDevice, CudaBuffer out) {
        int d = rowModes.length;
        if (d < 1 || d > MAX_TTM_CORES || colModes.length != d || ranks.length != d + 1 || ranks[0] != 1 || ranks[d] != 1) {
            throw new IllegalArgumentException("ttm lookup: " + d + " row modes (1.." + MAX_TTM_CORES + "), " + colModes.length
                    + " column modes and ranks " + Arrays.toString(ranks) + " (d + 1 of them, first and last 1) do not fit");
        }
        long rows = 1;
        for (int k = 0; k < d; k++) {
            if (rowModes[k] < 1 || colModes[k] < 1 || ranks[k + 1] < 1) {
                throw new IllegalArgumentException("ttm lookup: modes and ranks must be >= 1");
            }
            rows *= rowModes[k];
        }
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] < 0 || ids[t] >= rows) {
                throw new IllegalArgumentException("ttm lookup: id " + ids[t] + " at position " + t + " is outside the table's " + rows + " rows");
            }
        }
        long[] off = ttmCoreOffsets(rowModes, colModes, ranks);
        long total = off[d];
        cores.require(total, F, "ttm lookup cores");
        offsets.require(d, Long.BYTES, "ttm lookup core offsets");
        dims.require(3L * d + 1, Integer.BYTES, "ttm lookup dims");
        idsOnDevice.require(ids.length, Integer.BYTES, "ttm lookup ids");
        int width = 1;
        long work = 1;
        for (int k = 0; k < d; k++) {
            width *= colModes[k];
            work = Math.max(work, (long) width * ranks[k + 1]);
        }
        out.require((long) ids.length * width, F, "ttm lookup output");
        if (ids.length == 0) {
            return;
        }
        LaunchGeometry g = LaunchGeometry.perToken(ids.length, (int) Math.min(Integer.MAX_VALUE, work));
        launcher.launch("ttq_ttm_gather", g, cores, offsets, dims, d, idsOnDevice, ids.length, out, (int) work);
    }

    /** Start of each core in the packed core buffer, and the total at index d. */
    public static long[] ttmCoreOffsets(int[] rowModes, int[] colModes, int[] ranks) {
        int d = rowModes.length;
        long[] off = new long[d + 1];
        for (int k = 0; k < d; k++) {
            off[k + 1] = off[k] + (long) ranks[k] * rowModes[k] * colModes[k] * ranks[k + 1];
        }
        return off;
    }

    /** rowModes, colModes, ranks as the kernel reads them. */
    public static int[] ttmDims(int[] rowModes, int[] colModes, int[] ranks) {
        int d = rowModes.length;
        int[] dims = new int[3 * d + 1];
        System.arraycopy(rowModes, 0, dims, 0, d);
        System.arraycopy(colModes, 0, dims, d, d);
        System.arraycopy(ranks, 0, dims, 2 * d, d + 1);
        return dims;
    }

    // ------------------------------------------------------------------ checks

    private static void positive(String op, int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException(op + ": shape " + rows + "x" + cols + " must be positive");
        }
    }

    private static void need(String op, long count, int elementBytes, CudaBuffer... buffers) {
        if (count < 0) {
            throw new IllegalArgumentException(op + ": element count " + count + " < 0");
        }
        for (CudaBuffer b : buffers) {
            b.require(count, elementBytes, op);
        }
    }
}
