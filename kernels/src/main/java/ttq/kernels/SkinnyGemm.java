package ttq.kernels;

/**
 * FP32 products with one small dimension (a TT / low-rank bond): our AVX-512F and AVX2+FMA loops
 * in {@code native/ttq_skinny.h} (chosen from the CPU at start; {@code -Dttq.cpu.disable=avx512f}
 * runs the AVX2 ones), split over the cores here. OpenBLAS is tuned for large squarish
 * products; at k = 10 or n = 10 it spends its time packing and synchronising (measured 45 GFLOP/s
 * on 2 cores against 65 on one). Every extent is checked before the native call. Row-major;
 * {@code C} is overwritten (beta = 0). Arrays must not overlap.
 */
public final class SkinnyGemm {
    /** 0: portable C, 1: AVX2 + FMA, 2: AVX-512F. */
    static final int ISA = best();

    static {
        NativeLibrary.require();
    }

    private SkinnyGemm() {
    }

    private static int best() {
        return available(2) ? 2 : available(1) ? 1 : 0;
    }

    /** Whether path {@code isa} (0 portable C, 1 AVX2 + FMA, 2 AVX-512F) runs on this CPU (tests of others skip). */
    static boolean available(int isa) {
        return switch (isa) {
            case 0 -> true;
            case 1 -> CpuFeatures.has(CpuFeatures.AVX2) && CpuFeatures.has(CpuFeatures.FMA);
            case 2 -> CpuFeatures.has(CpuFeatures.AVX512F) && CpuFeatures.has(CpuFeatures.OS_AVX512);
            default -> false;
        };
    }

    /** The path the kernels run on: "avx512f", "avx2+fma" or "portable C". */
    public static String path() {
        return ISA == 2 ? "avx512f" : ISA == 1 ? "avx2+fma" : "portable C";
    }

    /** C[m, n] = A[m, k] B[k, n] for a small k: rows split over cores. */
    public static void smallK(int m, int n, int k, float[] a, int offA, int lda, float[] b, int offB, int ldb,
                              float[] c, int offC, int ldc) {
        smallK(ISA, m, n, k, a, offA, lda, b, offB, ldb, c, offC, ldc);
    }

    static void smallK(int isa, int m, int n, int k, float[] a, int offA, int lda, float[] b, int offB, int ldb,
                       float[] c, int offC, int ldc) {
        checkIsa("smallK", isa);
        check("smallK", "A", a, offA, lda, m, k);
        check("smallK", "B", b, offB, ldb, k, n);
        check("smallK", "C", c, offC, ldc, m, n);
        distinct("smallK", a, b, c);
        if (m == 0 || n == 0) {
            return;
        }
        rows(m, (long) n * Math.max(1, k), (from, to) -> NativeKernels.ttq_skinny_smallk(isa, to - from, n, k,
                a, offA + (long) from * lda, lda, b, offB, ldb, c, offC + (long) from * ldc, ldc));
    }

    /** C[m, n] = A[m, k] Bt[n, k]^T for a small n (long dot products): rows split over cores. */
    public static void smallN(int m, int n, int k, float[] a, int offA, int lda, float[] bt, int offB, int ldbt,
                              float[] c, int offC, int ldc) {
        smallN(ISA, m, n, k, a, offA, lda, bt, offB, ldbt, c, offC, ldc);
    }

    static void smallN(int isa, int m, int n, int k, float[] a, int offA, int lda, float[] bt, int offB, int ldbt,
                       float[] c, int offC, int ldc) {
        checkIsa("smallN", isa);
        check("smallN", "A", a, offA, lda, m, k);
        check("smallN", "Bt", bt, offB, ldbt, n, k);
        check("smallN", "C", c, offC, ldc, m, n);
        distinct("smallN", a, bt, c);
        if (m == 0 || n == 0) {
            return;
        }
        rows(m, (long) n * Math.max(1, k), (from, to) -> NativeKernels.ttq_skinny_smalln(isa, to - from, n, k,
                a, offA + (long) from * lda, lda, bt, offB, ldbt, c, offC + (long) from * ldc, ldc));
    }

    /** C[s, n] = A[kb, s]^T X[kb, n] for a small s (a sum over kb rows, e.g. a weight gradient): columns split over cores. */
    public static void transposedA(int s, int n, int kb, float[] a, int offA, int lda, float[] x, int offX, int ldx,
                                   float[] c, int offC, int ldc) {
        transposedA(ISA, s, n, kb, a, offA, lda, x, offX, ldx, c, offC, ldc);
    }

    static void transposedA(int isa, int s, int n, int kb, float[] a, int offA, int lda, float[] x, int offX, int ldx,
                            float[] c, int offC, int ldc) {
        checkIsa("transposedA", isa);
        check("transposedA", "A", a, offA, lda, kb, s);
        check("transposedA", "X", x, offX, ldx, kb, n);
        check("transposedA", "C", c, offC, ldc, s, n);
        distinct("transposedA", a, x, c);
        if (s == 0 || n == 0) {
            return;
        }
        // split columns in multiples of 32 (the kernels' strip widths divide it) so only the last task has a tail
        int strips = (n + 31) / 32;
        rows(strips, (long) s * Math.max(1, kb) * 32, (from, to) -> {
            int q0 = from * 32, q1 = Math.min(n, to * 32);
            NativeKernels.ttq_skinny_tn(isa, s, q1 - q0, kb, a, offA, lda, x, offX + q0, ldx, c, offC + q0, ldc);
        });
    }

    private static void rows(int rows, long workPerRow, Parallel.RangeBody body) {
        if (Parallel.threads() < 2 || rows < 2 || rows * workPerRow < (1 << 17)) {
            body.run(0, rows);
            return;
        }
        Parallel.forRows(rows, (int) Math.min(Integer.MAX_VALUE, workPerRow), body);
    }

    private static void checkIsa(String op, int isa) {
        if (!available(isa)) {
            throw new IllegalArgumentException(op + ": path " + isa + " is not available on this CPU (" + path() + " is)");
        }
    }

    private static void check(String op, String name, float[] x, int off, int ld, int rows, int cols) {
        if (x == null) {
            throw new IllegalArgumentException(op + ": operand " + name + " is null");
        }
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException(op + ": negative extent " + rows + "x" + cols + " for " + name);
        }
        if (ld < Math.max(1, cols) || off < 0) {
            throw new IllegalArgumentException(op + ": " + name + " has leading dimension " + ld + " (needs >= " + Math.max(1, cols)
                    + ") or a negative offset " + off);
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        long last = off + (long) (rows - 1) * ld + cols;
        if (last > x.length) {
            throw new IllegalArgumentException(op + ": operand " + name + " (" + rows + "x" + cols + ", ld " + ld + ", offset " + off
                    + ") needs " + last + " elements but the array has " + x.length);
        }
    }

    private static void distinct(String op, float[] a, float[] b, float[] c) {
        if (c == a || c == b) {
            throw new IllegalArgumentException(op + ": the output array aliases an input");
        }
    }
}
