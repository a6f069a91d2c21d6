package ttq.kernels;

import org.bytedeco.javacpp.BytePointer;

/**
 * Checked single-precision GEMM on Java arrays (row-major), executed by OpenBLAS without copying:
 * {@code C = alpha * op(A) * op(B) + beta * C}. Every extent is validated here, in Java, so a wrong
 * shape is an {@link IllegalArgumentException}, never a read past an array inside native code.
 *
 * <p>Threads: OpenBLAS runs single-threaded, and a large product is split here over
 * {@link Parallel}'s worker team (by batch, rows or columns of C). One team for GEMMs and
 * elementwise loops alike: two pools on two cores spin against each other, which made a TT
 * training step slower on two threads than on one.
 */
public final class Blas {
    static {
        NativeLibrary.require();
        NativeKernels.ttq_openblas_set_threads(1);
    }

    private Blas() {
    }

    /** Products below this many multiply-adds run on the calling thread (a hand-off costs microseconds). */
    static final long PARALLEL_MACS = 1L << 18;

    /** Single GEMM; A is m x k (k x m when transA), B is k x n (n x k when transB), C is m x n. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int offA, int lda, float[] b, int offB, int ldb,
                             float beta, float[] c, int offC, int ldc) {
        sgemmBatched(transA, transB, m, n, k, alpha, a, offA, lda, 0, b, offB, ldb, 0, beta, c, offC, ldc, 0, 1);
    }

    /**
     * {@code batch} independent GEMMs; operand i starts at {@code off + i * stride}. A stride of 0
     * reuses one operand for every product (it must not be 0 for C when batch > 1).
     */
    public static void sgemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    float[] a, long offA, int lda, long strideA,
                                    float[] b, long offB, int ldb, long strideB,
                                    float beta, float[] c, long offC, int ldc, long strideC, int batch) {
        if (m < 0 || n < 0 || k < 0 || batch < 0) {
            throw new IllegalArgumentException("sgemm: negative size m=" + m + " n=" + n + " k=" + k + " batch=" + batch);
        }
        if (batch > 1 && strideC == 0 && m > 0 && n > 0) {
            throw new IllegalArgumentException("sgemm: output stride 0 with batch " + batch + " would overwrite results");
        }
        if (c == a || c == b) {
            throw new IllegalArgumentException("sgemm: C is the same array as " + (c == a ? "A" : "B")
                    + " (GEMM would overwrite it while reading)");
        }
        if (batch > 1 && m > 0 && n > 0 && strideC < (long) (m - 1) * ldc + n) {
            throw new IllegalArgumentException("sgemm: output stride " + strideC + " is smaller than one " + m + "x" + n
                    + " result (ld " + ldc + "): the products would overlap");
        }
        checkOperand("A", a, offA, lda, strideA, transA ? k : m, transA ? m : k, batch);
        checkOperand("B", b, offB, ldb, strideB, transB ? n : k, transB ? k : n, batch);
        checkOperand("C", c, offC, ldc, strideC, m, n, batch);
        if (m == 0 || n == 0 || batch == 0) {
            return;
        }
        if (k == 0) { // nothing to multiply: C = beta * C, done here so OpenBLAS never sees k = 0
            for (int i = 0; i < batch; i++) {
                for (int r = 0; r < m; r++) {
                    int base = (int) (offC + i * strideC + (long) r * ldc);
                    for (int col = 0; col < n; col++) {
                        c[base + col] = beta == 0f ? 0f : beta * c[base + col];
                    }
                }
            }
            return;
        }
        int parts = Parallel.threads();
        if (parts < 2 || (long) m * n * k * batch < PARALLEL_MACS) {
            gemm(transA, transB, m, n, k, alpha, a, offA, lda, strideA, b, offB, ldb, strideB, beta, c, offC, ldc, strideC, batch);
        } else if (batch >= 2 * parts || batch % parts == 0) { // whole products per thread
            Parallel.forChunks(parts, p -> {
                int from = (int) ((long) batch * p / parts), to = (int) ((long) batch * (p + 1) / parts);
                gemm(transA, transB, m, n, k, alpha, a, offA + from * strideA, lda, strideA, b, offB + from * strideB, ldb, strideB,
                        beta, c, offC + from * strideC, ldc, strideC, to - from);
            });
        } else if (m >= n) { // rows of C (and of op(A)) per thread
            Parallel.forChunks(parts, p -> {
                int from = m * p / parts, to = m * (p + 1) / parts;
                gemm(transA, transB, to - from, n, k, alpha, a, offA + (transA ? from : (long) from * lda), lda, strideA, b, offB, ldb, strideB,
                        beta, c, offC + (long) from * ldc, ldc, strideC, batch);
            });
        } else { // columns of C (and of op(B)) per thread, in multiples of 16 (whole vectors)
            int blocks = (n + 15) / 16;
            Parallel.forChunks(Math.min(parts, blocks), p -> {
                int chunks = Math.min(parts, blocks);
                int from = Math.min(n, blocks * p / chunks * 16), to = Math.min(n, blocks * (p + 1) / chunks * 16);
                gemm(transA, transB, m, to - from, k, alpha, a, offA, lda, strideA, b, offB + (transB ? (long) from * ldb : from), ldb, strideB,
                        beta, c, offC + from, ldc, strideC, batch);
            });
        }
    }

    private static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, long offA, int lda, long strideA,
                             float[] b, long offB, int ldb, long strideB, float beta, float[] c, long offC, int ldc, long strideC, int batch) {
        if (m == 0 || n == 0 || batch == 0) {
            return;
        }
        if (batch == 1) {
            NativeKernels.ttq_sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, offA, lda, b, offB, ldb, beta, c, offC, ldc);
        } else {
            NativeKernels.ttq_sgemm_batched(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, offA, lda, strideA,
                    b, offB, ldb, strideB, beta, c, offC, ldc, strideC, batch);
        }
    }

    private static void checkOperand(String name, float[] x, long off, int ld, long stride, int rows, int cols, int batch) {
        if (x == null) {
            throw new IllegalArgumentException("sgemm: operand " + name + " is null");
        }
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("sgemm: leading dimension of " + name + " is " + ld + ", needs >= " + Math.max(1, cols));
        }
        if (off < 0 || stride < 0) {
            throw new IllegalArgumentException("sgemm: negative offset/stride for " + name);
        }
        if (rows == 0 || cols == 0 || batch == 0) {
            return;
        }
        long last = off + (batch - 1) * stride + (long) (rows - 1) * ld + cols;
        if (last > x.length) {
            throw new IllegalArgumentException("sgemm: operand " + name + " (" + rows + "x" + cols + ", ld " + ld
                    + ", offset " + off + ", batch " + batch + ", stride " + stride + ") needs " + last
                    + " elements but the array has " + x.length);
        }
    }

    /** OpenBLAS's kernel core type, e.g. "Haswell" or "SkylakeX". */
    public static String coreName() {
        BytePointer p = NativeKernels.ttq_openblas_corename();
        return p == null ? "unknown" : p.getString().trim();
    }

    /** OpenBLAS build configuration string. */
    public static String config() {
        BytePointer p = NativeKernels.ttq_openblas_config();
        return p == null ? "unknown" : p.getString().trim();
    }

    /** Threads one large GEMM is split over ({@link Parallel#threads()}; OpenBLAS itself runs single-threaded). */
    public static int threads() {
        return Parallel.threads();
    }

    /** Threads OpenBLAS itself uses for one call (1: ttq splits products over its own workers). */
    public static int openblasThreads() {
        return NativeKernels.ttq_openblas_threads();
    }
}
