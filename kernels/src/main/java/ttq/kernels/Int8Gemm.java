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
        if (path == Int8Path.SCALAR) {
            Parallel.forRows(m, n * Math.max(1, k) / 8, (from, to) ->
                    NativeKernels.ttq_i8gemm(n, k, a, offA, lda, b, offB, ldb, c, offC, ldc, from, to));
            return;
        }
        gemm(pack(path, n, k, b, offB, ldb), m, a, offA, lda, c, offC, ldc);
    }

    /**
     * Largest |b| for which the AVX2 path multiplies bytes with vpmaddubsw and sums them in int16
     * (exactly: see {@code int16Depth}); a wider B takes the exact vpmaddwd kernel. At 32 the byte
     * kernel only ties the wide one (2 int16 sums per widening), so the cut is at 16.
     */
    public static final int AVX2_NARROW_MAX = 16;

    /** Native kernel codes: the path codes 1-3, and 4 for AVX2 with a narrow B. */
    private static final int KERNEL_AVX2_NARROW = 4;

    /**
     * How many vpmaddubsw results add up exactly in int16 for {@code |b| <= maxAbs}: with a + 128 in
     * [0, 255], one result (two products) is at most 510 maxAbs in size, and int16 holds 32767.
     */
    static int int16Depth(int maxAbs) {
        return maxAbs == 0 ? 64 : Math.min(64, 32767 / (510 * maxAbs));
    }

    /** B (N x K, k-contiguous) packed for one SIMD path: pack a weight once, multiply many times. */
    public static final class Packed {
        final Int8Path path;
        final int n, k;
        final byte[] data;
        final int[] colsum;
        final int kernel;
        final int depth;

        private Packed(Int8Path path, int n, int k, byte[] data, int[] colsum, int kernel, int depth) {
            this.path = path;
            this.n = n;
            this.k = k;
            this.data = data;
            this.colsum = colsum;
            this.kernel = kernel;
            this.depth = depth;
        }

        public Int8Path path() {
            return path;
        }

        /** Whether the AVX2 byte kernel (vpmaddubsw, int16 sums) serves this B: every {@code |b| <=} {@link #AVX2_NARROW_MAX}. */
        public boolean narrow() {
            return kernel == KERNEL_AVX2_NARROW;
        }

        public int rows() {
            return n;
        }

        public int depth() {
            return k;
        }
    }

    /** Packs B for a SIMD path (the portable path multiplies unpacked operands). */
    public static Packed pack(Int8Path path, int n, int k, byte[] b, int offB, int ldb) {
        path.requireSupported();
        if (path == Int8Path.SCALAR) {
            throw new IllegalArgumentException("int8 pack: the portable path multiplies unpacked operands");
        }
        if (n < 0 || k < 0) {
            throw new IllegalArgumentException("int8 pack: negative size n=" + n + " k=" + k);
        }
        check("B", b == null ? -1 : b.length, offB, ldb, n, k);
        int kernel = path.code, depth = 0;
        if (path == Int8Path.AVX2) {
            int maxAbs = maxAbs(n, k, b, offB, ldb);
            if (maxAbs <= AVX2_NARROW_MAX) {
                kernel = KERNEL_AVX2_NARROW;
                depth = int16Depth(maxAbs);
            }
        }
        long size = NativeKernels.ttq_i8_packed_b_size(kernel, n, k);
        if (size > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("int8 pack: " + n + " x " + k + " is too large to pack");
        }
        byte[] data = new byte[(int) size];
        int[] colsum = new int[n];
        if (n > 0 && k > 0) {
            NativeKernels.ttq_i8_pack_b(kernel, n, k, b, offB, ldb, data, colsum);
        }
        return new Packed(path, n, k, data, colsum, kernel, depth);
    }

    private static int maxAbs(int n, int k, byte[] b, int offB, int ldb) {
        int max = 0;
        for (int i = 0; i < n; i++) {
            for (int j = offB + i * ldb, end = j + k; j < end; j++) {
                max = Math.max(max, Math.abs(b[j]));
            }
        }
        return max;
    }

    /** C = A B^T with B packed: A is M x K; rows split over the cores. */
    public static void gemm(Packed b, int m, byte[] a, int offA, int lda, int[] c, int offC, int ldc) {
        packedGemm(b, m, a, offA, lda, c, offC, ldc, true);
    }

    /**
     * C = A B^T with B packed, all M rows on the calling thread: for callers that split their work
     * over threads themselves (the inference runtime splits a batch by utterances).
     */
    public static void gemmSerial(Packed b, int m, byte[] a, int offA, int lda, int[] c, int offC, int ldc) {
        packedGemm(b, m, a, offA, lda, c, offC, ldc, false);
    }

    private static void packedGemm(Packed b, int m, byte[] a, int offA, int lda, int[] c, int offC, int ldc, boolean split) {
        int n = b.n, k = b.k;
        if (m < 0) {
            throw new IllegalArgumentException("int8 gemm: negative m=" + m);
        }
        check("A", a == null ? -1 : a.length, offA, lda, m, k);
        check("C", c == null ? -1 : c.length, offC, ldc, m, n);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(c, offC + i * ldc, offC + i * ldc + n, 0);
            }
            return;
        }
        int code = b.kernel, depth = b.depth;
        if (!split) {
            checkStatus(NativeKernels.ttq_i8gemm_packed(code, n, k, a, offA, lda, b.data, b.colsum, c, offC, ldc, 0, m, depth), k);
            return;
        }
        Parallel.forRows(m, n * k / 8, (from, to) ->
                checkStatus(NativeKernels.ttq_i8gemm_packed(code, n, k, a, offA, lda, b.data, b.colsum, c, offC, ldc, from, to, depth), k));
    }

    /**
     * F = scale * (A B^T) + bias as floats, B packed (bias [N] or null): the dequantizing last step
     * of integer inference, without an int32 matrix in between; rows split over the cores.
     */
    public static void gemmToFloat(Packed b, int m, byte[] a, int offA, int lda, float[] f, int offF, int ldf,
                                   float scale, float[] bias) {
        packedToFloat(b, m, a, offA, lda, f, offF, ldf, scale, null, 0, null, bias, true);
    }

    /**
     * F[i, j] = scale * rowScale[offRs + i] * colScale[j] * (A B^T)[i, j] + bias[j] as floats, all M
     * rows on the calling thread; rowScale, colScale and bias may each be null (a factor of 1, no
     * bias). The dequantizing store of an integer layer whose activations carry one scale per row
     * (token) and whose weight one per output channel.
     */
    public static void gemmToFloatSerial(Packed b, int m, byte[] a, int offA, int lda, float[] f, int offF, int ldf, float scale,
                                         float[] rowScale, int offRs, float[] colScale, float[] bias) {
        packedToFloat(b, m, a, offA, lda, f, offF, ldf, scale, rowScale, offRs, colScale, bias, false);
    }

    private static void packedToFloat(Packed b, int m, byte[] a, int offA, int lda, float[] f, int offF, int ldf, float scale,
                                      float[] rowScale, int offRs, float[] colScale, float[] bias, boolean split) {
        int n = b.n, k = b.k;
        if (m < 0) {
            throw new IllegalArgumentException("int8 gemm: negative m=" + m);
        }
        check("A", a == null ? -1 : a.length, offA, lda, m, k);
        if (f == null || ldf < Math.max(1, n) || offF < 0 || (m > 0 && n > 0 && offF + (long) (m - 1) * ldf + n > f.length)) {
            throw new IllegalArgumentException("int8 gemm: float output too small for " + m + "x" + n + " (ld " + ldf + ")");
        }
        if (rowScale != null && (offRs < 0 || (long) offRs + m > rowScale.length)) {
            throw new IllegalArgumentException("int8 gemm: row scales [" + offRs + ", " + ((long) offRs + m) + ") outside an array of "
                    + rowScale.length);
        }
        if (colScale != null && colScale.length < n) {
            throw new IllegalArgumentException("int8 gemm: column scales has " + colScale.length + " values for " + n + " columns");
        }
        if (bias != null && bias.length < n) {
            throw new IllegalArgumentException("int8 gemm: bias has " + bias.length + " values for " + n + " columns");
        }
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    f[offF + i * ldf + j] = bias == null ? 0f : bias[j];
                }
            }
            return;
        }
        int code = b.kernel, depth = b.depth;
        if (!split) {
            checkStatus(NativeKernels.ttq_i8gemm_packed_f32s(code, n, k, a, offA, lda, b.data, b.colsum, f, offF, ldf, 0, m, scale,
                    rowScale, offRs, colScale, bias, depth), k);
            return;
        }
        Parallel.forRows(m, n * k / 8, (from, to) ->
                checkStatus(NativeKernels.ttq_i8gemm_packed_f32s(code, n, k, a, offA, lda, b.data, b.colsum, f, offF, ldf, from, to,
                        scale, rowScale, offRs, colScale, bias, depth), k));
    }

    /**
     * C = A B^T on the portable path (unpacked B, N x K), all M rows on the calling thread: the
     * runtime's fallback on a CPU without AVX2.
     */
    public static void gemmScalarSerial(int m, int n, int k, byte[] a, int offA, int lda, byte[] b, int offB, int ldb,
                                        int[] c, int offC, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("int8 gemm: negative size m=" + m + " n=" + n + " k=" + k);
        }
        check("A", a == null ? -1 : a.length, offA, lda, m, k);
        check("B", b == null ? -1 : b.length, offB, ldb, n, k);
        check("C", c == null ? -1 : c.length, offC, ldc, m, n);
        if (m > 0 && n > 0) {
            NativeKernels.ttq_i8gemm(n, k, a, offA, lda, b, offB, ldb, c, offC, ldc, 0, m);
        }
    }

    private static void checkStatus(int status, int k) {
        if (status != 0) {
            throw new IllegalStateException("int8 gemm: native scratch memory for a block of A (k = " + k + ") could not be allocated");
        }
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
