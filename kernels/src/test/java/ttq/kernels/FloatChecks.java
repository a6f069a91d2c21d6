package ttq.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

/** Shared helpers of the FP32 kernel tests: Gaussian inputs and a float-accumulation tolerance. */
final class FloatChecks {
    private FloatChecks() {
    }

    static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** |got - want| <= 1e-5 * (sum of |terms| + 1): float accumulation error bound with margin. */
    static void assertClose(double want, double scale, float got, String what) {
        assertTrue(Math.abs(got - want) <= 1e-5 * (scale + 1), what + ": got " + got + ", want " + want);
    }
}
