package ttq.kernels;

/**
 * INT8 x INT8 -> INT32 matrix products C = A B^T (A: M x K, B: N x K, both k-contiguous, C: M x N),
 * exact with wrap-around int32 sums like Java's {@code int}, and requantization back to INT8.
 * Every extent is checked here before the native call; rows are split over the cores.
 */
public final class Int8Gemm {
    static {
        NativeLibrary.require();
    }

    private Int8Gemm() {
    }

    /** C = A B^T on the selected path. */
    public static void gemm(int m, int n, int k, byte[] a, int offA, int lda, byte[] b, int offB, int ldb, int[] c, int offC, int ldc) {
        gemm(Int8Path.selected(), m, n, k, a, offA, lda, b, offB, ldb, c, offC, ldc);
    }

    /** C = A B^T on a given path (refused when the CPU lacks it). */
    public static void gemm(Int8Path path, int m, int n, int k, byte[] a, int offA, int lda, byte[] b, int offB, int ldb,
                            int[] c, int offC, int ldc) {
        path.requireSupported();
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("int8 gemm: negative size m=" + m + " n=" + n + " k=" + k);
        }
        check("A", a == null ? -1 : a.length, offA, lda, m, k);
        check("B", b == null ? -1 : b.length, offB, ldb, n, k);
        check("C", c == null ? -1 : c.length, offC, ldc, m, n);
        if (m == 0 || n == 0) {
            return;
        }
        int[] bsum = new int[n];
        if (path == Int8Path.AVX_VNNI || path == Int8Path.AVX512_VNNI) {
            NativeKernels.ttq_i8_row_sums(n, k, b, offB, ldb, bsum);
        }
        int code = path.code;
        Parallel.forRows(m, n * Math.max(1, k) / 8, (from, to) ->
                NativeKernels.ttq_i8gemm(code, n, k, a, offA, lda, b, offB, ldb, c, offC, ldc, from, to, bsum));
    }

    private static void check(String name, int length, long off, int ld, int rows, int cols) {
        if (length < 0) {
            throw new IllegalArgumentException("int8 gemm: operand " + name + " is null");
        }
        if (ld < Math.max(1, cols) || off < 0) {
            throw new IllegalArgumentException("int8 gemm: operand " + name + " has leading dimension " + ld + " (needs >= "
                    + Math.max(1, cols) + ") or a negative offset " + off);
        }
        if (rows > 0 && cols > 0 && off + (long) (rows - 1) * ld + cols > length) {
            throw new IllegalArgumentException("int8 gemm: operand " + name + " (" + rows + "x" + cols + ", ld " + ld + ", offset "
                    + off + ") needs " + (off + (long) (rows - 1) * ld + cols) + " elements but has " + length);
        }
    }

    /** out = clamp(rint(acc * scale), -128, 127): int32 accumulators back to INT8 (round half to even). */
    public static void requantize(int[] acc, float scale, byte[] out, int n) {
        if (acc.length < n || out.length < n) {
            throw new IllegalArgumentException("requantize: arrays shorter than " + n);
        }
        for (int i = 0; i < n; i++) {
            double v = Math.rint(acc[i] * (double) scale);
            out[i] = (byte) (v > 127 ? 127 : (v < -128 ? -128 : v));
        }
    }
}
