package ttq.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class NativeKernelsTest {
    @Test
    void libraryLoadsAndReportsFeatures() {
        assertTrue(NativeLibrary.isLoaded(), NativeLibrary.status());
        // every x86-64 machine this project targets has AVX2 (the baseline); the bit must agree with the OS state bit
        if (CpuFeatures.has(CpuFeatures.AVX512F)) {
            assertTrue(CpuFeatures.has(CpuFeatures.OS_AVX512));
        }
        assertTrue(Blas.threads() >= 1);
        assertTrue(!Blas.coreName().isEmpty());
    }

    @Test
    void geluMatchesDoubleReference() {
        int n = 200_003; // odd and above the parallel grain: exercises the chunk split
        float[] x = new float[n], y = new float[n], dy = new float[n], dx = new float[n];
        Random r = new Random(1);
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 4);
            dy[i] = (float) r.nextGaussian();
        }
        FusedKernels.geluForward(x, y, n);
        FusedKernels.geluBackward(x, dy, dx, n);
        for (int i = 0; i < n; i += 7) {
            double v = x[i];
            double cdf = 0.5 * (1 + erf(v / Math.sqrt(2)));
            double pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
            assertEquals(v * cdf, y[i], 1e-5 * (1 + Math.abs(v)), "gelu at " + v);
            assertEquals(dy[i] * (cdf + v * pdf), dx[i], 1e-5 * (1 + Math.abs(dy[i])), "gelu' at " + v);
        }
    }

    @Test
    void sgemmRejectsShortArraysBeforeNativeCode() {
        float[] a = new float[6], b = new float[6], c = new float[3];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Blas.sgemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2));
        assertTrue(e.getMessage().contains("operand C"), e.getMessage());
    }

    @Test
    void sgemmWithOffsetsAndTranspose() {
        // A^T (2x3) * B (3x2), A stored 3x2 after an offset of 1
        float[] a = {99, 1, 2, 3, 4, 5, 6};
        float[] b = {1, 0, 0, 1, 1, 1};
        float[] c = new float[4];
        Blas.sgemm(true, false, 2, 2, 3, 1f, a, 1, 2, b, 0, 2, 0f, c, 0, 2);
        // A = [[1,2],[3,4],[5,6]]; A^T = [[1,3,5],[2,4,6]]; A^T B = [[1+5, 3+5],[2+6, 4+6]]
        assertEquals(6f, c[0]);
        assertEquals(8f, c[1]);
        assertEquals(8f, c[2]);
        assertEquals(10f, c[3]);
    }

    /** Abramowitz-Stegun 7.1.26 is too coarse; use a series/continued fraction to double precision. */
    static double erf(double x) {
        double t = Math.abs(x);
        double result;
        if (t < 3) {
            double sum = t, term = t, t2 = t * t;
            for (int n = 1; n < 200; n++) {
                term *= -t2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17) {
                    break;
                }
            }
            result = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // continued fraction for erfc
            double f = 0;
            for (int n = 60; n >= 1; n--) {
                f = n / 2.0 / (t + f);
            }
            result = 1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
        }
        return x < 0 ? -result : result;
    }
}
