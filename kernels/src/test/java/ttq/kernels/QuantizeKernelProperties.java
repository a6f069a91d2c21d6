package ttq.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The native fake-quantization loops against the engine's plain Java formulas, bit for bit. */
class QuantizeKernelProperties {
    /** Values that hit every branch: exact halves (ties to even), both clip edges, zeros of both signs, NaN. */
    private static float[] values(Random r, int n, float d, int lo, int hi) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(8)) {
                case 0 -> x[i] = (r.nextInt(hi - lo + 1) + lo + 0.5f) * d;  // a tie
                case 1 -> x[i] = (r.nextBoolean() ? lo - 0.5f : hi + 0.5f) * d; // half a step past an edge
                case 2 -> x[i] = (r.nextBoolean() ? lo : hi) * d * (1 + (r.nextFloat() - 0.5f) * 1e-6f);
                case 3 -> x[i] = r.nextBoolean() ? -0f : 0f;
                case 4 -> x[i] = r.nextInt(50) == 0 ? Float.NaN : (float) r.nextGaussian() * 1e6f;
                default -> x[i] = (float) r.nextGaussian() * d * (hi - lo) / 2;
            }
        }
        return x;
    }

    private static float javaQuantize(float x, float d, int lo, int hi) {
        float u = x / d;
        float c = u < lo ? lo : (u > hi ? hi : u);
        return d * (float) Math.rint(c) + 0f;
    }

    @Property(tries = 200)
    void forwardAndBackwardEqualTheJavaFormulas(@ForAll long seed, @ForAll @IntRange(min = 2, max = 8) int bits,
                                                @ForAll @IntRange(min = 0, max = 300) int n, @ForAll @IntRange(min = 0, max = 9) int off) {
        Random r = new Random(seed);
        float d = (float) Math.exp(r.nextGaussian() * 3);
        int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
        float[] x = values(r, off + n, d, lo, hi), g = new float[off + n];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) r.nextGaussian();
        }
        float[] q = new float[off + n], dx = new float[off + n];
        java.util.Arrays.fill(dx, 7f); // the kernel writes every dx of the range, zeros included
        FusedKernels.quantizeForward(x, q, off, off + n, d, lo, hi);
        double sum = FusedKernels.quantizeBackward(x, g, dx, off, off + n, d, lo, hi);
        double want = 0, scale = 0;
        for (int i = off; i < off + n; i++) {
            assertEquals(Float.floatToIntBits(javaQuantize(x[i], d, lo, hi)), Float.floatToIntBits(q[i]), "q at " + x[i] + " / " + d);
            float u = x[i] / d;
            float term;
            if (u < lo) {
                term = g[i] * lo;
                assertEquals(0f, dx[i]);
            } else if (u > hi) {
                term = g[i] * hi;
                assertEquals(0f, dx[i]);
            } else {
                float qi = d * (float) Math.rint(u);
                term = g[i] * (qi - x[i]) / d;
                assertEquals(g[i], dx[i]);
            }
            want += term;
            scale += Math.abs(term);
        }
        for (int i = 0; i < off; i++) {
            assertEquals(0f, q[i]);
            assertEquals(7f, dx[i]);
        }
        if (Double.isNaN(want)) {
            assertEquals(Double.NaN, sum);
        } else {
            assertEquals(want, sum, 1e-12 * scale + 1e-300, "scale gradient (summed in another order)");
        }
    }

    @Property(tries = 200)
    void int8CodesEqualJavasRoundedCast(@ForAll long seed, @ForAll @IntRange(min = 2, max = 8) int bits,
                                        @ForAll @IntRange(min = 0, max = 300) int n, @ForAll @IntRange(min = 0, max = 17) int off) {
        Random r = new Random(seed);
        float d = (float) Math.exp(r.nextGaussian() * 3);
        int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
        float[] x = values(r, off + n, d, lo, hi);
        byte[] out = new byte[off + n];
        java.util.Arrays.fill(out, (byte) 99);
        FusedKernels.quantizeToInt8(x, out, off, off + n, d, lo, hi);
        for (int i = 0; i < off + n; i++) {
            float u = x[i] / d;
            byte want = i < off ? 99 : (byte) Math.rint(u < lo ? lo : (u > hi ? hi : u));
            assertEquals(want, out[i], "code of " + x[i] + " / " + d);
        }
    }

    @Test
    void badRangesAndScalesAreRefusedBeforeNativeCode() {
        assertThrows(IllegalArgumentException.class, () -> FusedKernels.quantizeToInt8(new float[8], new byte[4], 0, 8, 1f, -128, 127));
        assertThrows(IllegalArgumentException.class, () -> FusedKernels.quantizeToInt8(new float[8], new byte[8], 0, 8, 1f, -129, 127));
        float[] x = new float[8], q = new float[4];
        assertThrows(IllegalArgumentException.class, () -> FusedKernels.quantizeForward(x, q, 0, 8, 1f, -128, 127));
        assertThrows(IllegalArgumentException.class, () -> FusedKernels.quantizeForward(x, x, 5, 4, 1f, -128, 127));
        assertThrows(IllegalArgumentException.class, () -> FusedKernels.quantizeForward(x, x, 0, 8, 0f, -128, 127));
        assertThrows(IllegalArgumentException.class, () -> FusedKernels.quantizeBackward(x, x, q, 0, 8, Float.NaN, -2, 1));
    }
}
