package ttq.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The fused factored-linear passes against double-precision references of the six products, on
 * every path: row counts around the 32-row blocks and the thread split, bonds with and without
 * the bias row, widths around the 8/16-wide vectors, each gradient requested or not.
 */
class FactoredKernelsProperties {
    @Property(tries = 120)
    void forwardAndBackward(@ForAll @IntRange(min = 0, max = 90) int b, @ForAll @IntRange(min = 1, max = 40) int m,
                            @ForAll @IntRange(min = 1, max = 40) int n, @ForAll @IntRange(min = 1, max = 31) int r,
                            @ForAll boolean bias, @ForAll @IntRange(min = 0, max = 7) int wanted,
                            @ForAll @IntRange(min = 0, max = 2) int isa, @ForAll long seed) {
        check(b, m, n, r, bias, wanted, isa, seed);
    }

    /** Widths that are multiples of 1024, where the backward works on padded copies (native/ttq_factored.h). */
    @Property(tries = 16)
    void backwardOnPaddedCopies(@ForAll @IntRange(min = 1, max = 70) int b, @ForAll @IntRange(min = 0, max = 3) int widths,
                                @ForAll @IntRange(min = 1, max = 12) int r, @ForAll boolean bias, @ForAll @IntRange(min = 0, max = 7) int wanted,
                                @ForAll @IntRange(min = 0, max = 2) int isa, @ForAll long seed) {
        int m = (widths & 1) != 0 ? 1024 : 24, n = (widths & 2) != 0 ? 2048 : 40;
        check(b, m, n, r, bias, wanted, isa, seed);
    }

    private static void check(int b, int m, int n, int r, boolean bias, int wanted, int isa, long seed) {
        assumeTrue(SkinnyGemm.available(isa), "path " + isa + " (1 AVX2+FMA, 2 AVX-512F) is not available on this CPU");
        Random rnd = new Random(seed);
        int k = r + (bias ? 1 : 0);
        float[] x = FloatChecks.gaussian(rnd, b * n), v = FloatChecks.gaussian(rnd, r * n), upT = FloatChecks.gaussian(rnd, k * m), g = FloatChecks.gaussian(rnd, b * m);
        float[] hp = new float[b * k], y = new float[b * m];
        FactoredKernels.forward(isa, b, m, n, r, k, x, v, upT, hp, y);
        double[] h = new double[b * k];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < r; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < n; p++) {
                    s += (double) x[i * n + p] * v[j * n + p];
                    abs += Math.abs((double) x[i * n + p] * v[j * n + p]);
                }
                h[i * k + j] = s;
                FloatChecks.assertClose(s, abs, hp[i * k + j], "h[" + i + "," + j + "]");
            }
            if (bias) {
                h[i * k + r] = 1;
                FloatChecks.assertClose(1, 0, hp[i * k + r], "ones column");
            }
            for (int q = 0; q < m; q++) {
                double s = 0, abs = 0;
                for (int j = 0; j < k; j++) {
                    s += hp[i * k + j] * (double) upT[j * m + q];
                    abs += Math.abs(hp[i * k + j] * (double) upT[j * m + q]);
                }
                FloatChecks.assertClose(s, abs, y[i * m + q], "y[" + i + "," + q + "]");
            }
        }
        float[] dx = (wanted & 1) != 0 ? new float[b * n] : null;
        float[] dv = (wanted & 2) != 0 ? FloatChecks.gaussian(rnd, r * n) : null; // added to: start from non-zero values
        float[] dup = (wanted & 4) != 0 ? FloatChecks.gaussian(rnd, k * m) : null;
        float[] dv0 = dv == null ? null : dv.clone(), dup0 = dup == null ? null : dup.clone();
        FactoredKernels.backward(isa, b, m, n, r, k, g, x, hp, upT, v, dx, dv, dup);
        double[] dh = new double[b * r];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < r; j++) {
                for (int q = 0; q < m; q++) {
                    dh[i * r + j] += (double) g[i * m + q] * upT[j * m + q];
                }
            }
        }
        if (dx != null) {
            for (int i = 0; i < b; i++) {
                for (int p = 0; p < n; p++) {
                    double s = 0, abs = 0;
                    for (int j = 0; j < r; j++) {
                        s += dh[i * r + j] * v[j * n + p];
                        abs += Math.abs(dh[i * r + j] * v[j * n + p]);
                    }
                    FloatChecks.assertClose(s, abs * m, dx[i * n + p], "dx[" + i + "," + p + "]");
                }
            }
        }
        if (dv != null) {
            for (int j = 0; j < r; j++) {
                for (int p = 0; p < n; p++) {
                    double s = dv0[j * n + p], abs = Math.abs(s);
                    for (int i = 0; i < b; i++) {
                        s += dh[i * r + j] * x[i * n + p];
                        abs += Math.abs(dh[i * r + j] * x[i * n + p]) * m;
                    }
                    FloatChecks.assertClose(s, abs, dv[j * n + p], "dV[" + j + "," + p + "]");
                }
            }
        }
        if (dup != null) {
            for (int j = 0; j < k; j++) {
                for (int q = 0; q < m; q++) {
                    double s = dup0[j * m + q], abs = Math.abs(s);
                    for (int i = 0; i < b; i++) {
                        s += h[i * k + j] * g[i * m + q];
                        abs += Math.abs(h[i * k + j] * g[i * m + q]) * n;
                    }
                    FloatChecks.assertClose(s, abs, dup[j * m + q], "dUp[" + j + "," + q + "]");
                }
            }
        }
    }

    @Test
    void badShapesAreExceptions() {
        float[] a = new float[100];
        assertThrows(IllegalArgumentException.class, () -> FactoredKernels.forward(4, 5, 5, 3, 5, a, a.clone(), a.clone(), a.clone(), new float[100]));
        assertThrows(IllegalArgumentException.class, () -> FactoredKernels.forward(4, 5, 5, 3, 3, a, a.clone(), a.clone(), a.clone(), new float[19]));
        assertThrows(IllegalArgumentException.class, () -> FactoredKernels.forward(4, 5, 5, 33, 33, new float[9999], new float[9999], new float[9999], new float[9999], new float[9999]));
        assertThrows(IllegalArgumentException.class, () -> FactoredKernels.forward(4, 5, 5, 3, 3, a, a.clone(), a.clone(), a, new float[100]));
        assertThrows(IllegalArgumentException.class, () -> FactoredKernels.backward(4, 5, 5, 3, 3, a.clone(), a.clone(), a.clone(), a.clone(), a.clone(),
                new float[19], null, null));
        float[] out = new float[100];
        assertThrows(IllegalArgumentException.class, () -> FactoredKernels.backward(4, 5, 5, 3, 3, a.clone(), a.clone(), a.clone(), a.clone(), a.clone(),
                out, out, null));
        assertThrows(IllegalArgumentException.class, () -> FactoredKernels.backward(4, 5, 5, 3, 3, a, a.clone(), a.clone(), a.clone(), a.clone(),
                a, null, null));
    }
}
