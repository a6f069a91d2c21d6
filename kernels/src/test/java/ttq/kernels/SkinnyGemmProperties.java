package ttq.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The skinny products against a double-precision Java reference, on both paths (AVX2 + FMA skipped
 * on CPUs without it): odd sizes around the 16-column strips and 8-wide vectors, leading
 * dimensions larger than the extents, offsets, sizes that split over threads.
 */
class SkinnyGemmProperties {
    @Property(tries = 90)
    void smallK(@ForAll @IntRange(min = 1, max = 70) int m, @ForAll @IntRange(min = 1, max = 70) int n,
                @ForAll @IntRange(min = 0, max = 19) int k, @ForAll @IntRange(min = 0, max = 2) int isa, @ForAll long seed) {
        assumeTrue(SkinnyGemm.available(isa), "path " + isa + " (1 AVX2+FMA, 2 AVX-512F) is not available on this CPU");
        Random r = new Random(seed);
        int lda = k + r.nextInt(3), ldb = n + r.nextInt(3), ldc = n + r.nextInt(3), offA = r.nextInt(4), offC = r.nextInt(4);
        float[] a = FloatChecks.gaussian(r, offA + m * Math.max(1, lda)), b = FloatChecks.gaussian(r, k * ldb), c = FloatChecks.gaussian(r, offC + m * ldc);
        SkinnyGemm.smallK(isa, m, n, k, a, offA, Math.max(1, lda), b, 0, ldb, c, offC, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) a[offA + i * Math.max(1, lda) + p] * b[p * ldb + j];
                    s += t;
                    abs += Math.abs(t);
                }
                FloatChecks.assertClose(s, abs, c[offC + i * ldc + j], "C[" + i + "," + j + "]");
            }
        }
    }

    @Property(tries = 90)
    void smallN(@ForAll @IntRange(min = 1, max = 40) int m, @ForAll @IntRange(min = 1, max = 17) int n,
                @ForAll @IntRange(min = 0, max = 70) int k, @ForAll @IntRange(min = 0, max = 2) int isa, @ForAll long seed) {
        assumeTrue(SkinnyGemm.available(isa), "path " + isa + " (1 AVX2+FMA, 2 AVX-512F) is not available on this CPU");
        Random r = new Random(seed);
        int lda = Math.max(1, k + r.nextInt(3)), ldb = Math.max(1, k + r.nextInt(3)), ldc = n + r.nextInt(3), offB = r.nextInt(4);
        float[] a = FloatChecks.gaussian(r, m * lda), bt = FloatChecks.gaussian(r, offB + n * ldb), c = FloatChecks.gaussian(r, m * ldc);
        SkinnyGemm.smallN(isa, m, n, k, a, 0, lda, bt, offB, ldb, c, 0, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) a[i * lda + p] * bt[offB + j * ldb + p];
                    s += t;
                    abs += Math.abs(t);
                }
                FloatChecks.assertClose(s, abs, c[i * ldc + j], "C[" + i + "," + j + "]");
            }
        }
    }

    @Property(tries = 90)
    void transposedA(@ForAll @IntRange(min = 1, max = 26) int s, @ForAll @IntRange(min = 1, max = 70) int n,
                     @ForAll @IntRange(min = 0, max = 40) int kb, @ForAll @IntRange(min = 0, max = 2) int isa, @ForAll long seed) {
        assumeTrue(SkinnyGemm.available(isa), "path " + isa + " (1 AVX2+FMA, 2 AVX-512F) is not available on this CPU");
        Random r = new Random(seed);
        int lda = s + r.nextInt(3), ldx = n + r.nextInt(3), ldc = n + r.nextInt(3), offX = r.nextInt(4);
        float[] a = FloatChecks.gaussian(r, Math.max(1, kb * lda)), x = FloatChecks.gaussian(r, offX + kb * ldx), c = FloatChecks.gaussian(r, s * ldc);
        SkinnyGemm.transposedA(isa, s, n, kb, a, 0, lda, x, offX, ldx, c, 0, ldc);
        for (int j = 0; j < s; j++) {
            for (int q = 0; q < n; q++) {
                double sum = 0, abs = 0;
                for (int b = 0; b < kb; b++) {
                    double t = (double) a[b * lda + j] * x[offX + b * ldx + q];
                    sum += t;
                    abs += Math.abs(t);
                }
                FloatChecks.assertClose(sum, abs, c[j * ldc + q], "C[" + j + "," + q + "]");
            }
        }
    }

    @Test
    void largeShapesSplitOverThreadsMatchTheSingleCall() {
        Random r = new Random(7);
        int m = 768, n = 3072, k = 11;
        float[] a = FloatChecks.gaussian(r, m * k), b = FloatChecks.gaussian(r, k * n), split = new float[m * n], one = new float[m * n];
        SkinnyGemm.smallK(m, n, k, a, 0, k, b, 0, n, split, 0, n);
        SkinnyGemm.smallK(SkinnyGemm.ISA, 1, n, k, a, 0, k, b, 0, n, one, 0, n); // row 0 alone
        for (int j = 0; j < n; j++) {
            assertEquals(one[j], split[j], 0f);
        }
        float[] x = FloatChecks.gaussian(r, m * n), c = new float[k * n];
        SkinnyGemm.transposedA(k, n, m, a, 0, k, x, 0, n, c, 0, n);
        double s = 0;
        for (int row = 0; row < m; row++) {
            s += (double) a[row * k + 3] * x[row * n + 3001];
        }
        assertEquals(s, c[3 * n + 3001], 1e-3);
    }

    @Test
    void badExtentsAreExceptionsBeforeNativeCode() {
        float[] a = new float[10], b = new float[10], c = new float[10];
        assertThrows(IllegalArgumentException.class, () -> SkinnyGemm.smallK(4, 4, 4, a, 0, 4, b, 0, 4, c, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> SkinnyGemm.smallN(2, 2, 5, a, 0, 4, b, 0, 5, c, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> SkinnyGemm.transposedA(2, 2, 2, a, 0, 2, b, 0, 2, a, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> SkinnyGemm.smallK(-1, 2, 2, a, 0, 2, b, 0, 2, c, 0, 2));
    }
}
