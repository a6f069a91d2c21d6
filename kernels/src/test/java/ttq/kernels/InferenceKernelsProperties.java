package ttq.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The inference runtime's kernels: every attention path equal to the portable one, the rest against Java references. */
class InferenceKernelsProperties {
    @Property(tries = 200)
    void everyInt8AttentionPathGivesThePortableFloats(@ForAll @IntRange(min = 1, max = 6) int heads, @ForAll @IntRange(min = 0, max = 45) int n,
                                                      @ForAll @IntRange(min = 1, max = 70) int dh, @ForAll boolean extremes, @ForAll long seed) {
        Random r = new Random(seed);
        int d = heads * dh, ld = d + r.nextInt(3), off = r.nextInt(5);
        byte[] q = codes(r, off + n * ld, extremes), k = codes(r, off + n * ld, extremes), v = codes(r, off + n * ld, extremes);
        float sScore = (float) (1e-4 + 1e-3 * r.nextDouble()), sP = 1f / (1 + r.nextInt(200)), sOut = (float) (1e-3 * r.nextDouble());
        float[] expected = new float[off + n * ld];
        InferenceKernels.attentionInt8(Int8Path.SCALAR, n, heads, dh, q, off, k, off, v, off, ld, sScore, sP, sOut, expected, off, ld);
        for (Int8Path path : Int8Path.supportedPaths()) {
            float[] out = new float[off + n * ld];
            InferenceKernels.attentionInt8(path, n, heads, dh, q, off, k, off, v, off, ld, sScore, sP, sOut, out, off, ld);
            assertArrayEquals(expected, out, path + ": " + n + " tokens, " + heads + " heads of " + dh);
        }
        // a probability row of each query sums to 1 before coding: its codes sum to 1 / sP within half a step each
        if (n > 0 && sP < 0.05f && sP >= 1f / 127) { // p = 1 must fit a code (127 sP >= 1)
            float[] ones = new float[n * d];
            byte[] one = new byte[n * d];
            java.util.Arrays.fill(one, (byte) 1);
            InferenceKernels.attentionInt8(n, heads, dh, q, off, k, off, one, 0, d, sScore, sP, sP, ones, 0, d);
            for (float x : ones) {
                assertEquals(1.0, x, n * sP, "sum of one row's probabilities");
            }
        }
    }

    @Property(tries = 100)
    void floatAttentionMatchesADoubleReference(@ForAll @IntRange(min = 1, max = 4) int heads, @ForAll @IntRange(min = 1, max = 30) int n,
                                               @ForAll @IntRange(min = 1, max = 40) int dh, @ForAll long seed) {
        Random r = new Random(seed);
        int d = heads * dh;
        float[] q = gaussian(r, n * d), k = gaussian(r, n * d), v = gaussian(r, n * d), out = new float[n * d];
        float scale = (float) (1 / Math.sqrt(dh));
        InferenceKernels.attentionFloat(n, heads, dh, q, 0, k, 0, v, 0, d, scale, out, 0, d);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < n; i++) {
                double[] p = new double[n];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int c = 0; c < dh; c++) {
                        s += (double) q[i * d + h * dh + c] * k[j * d + h * dh + c];
                    }
                    p[j] = s * scale;
                    max = Math.max(max, p[j]);
                }
                for (int j = 0; j < n; j++) {
                    p[j] = Math.exp(p[j] - max);
                    sum += p[j];
                }
                for (int c = 0; c < dh; c++) {
                    double o = 0;
                    for (int j = 0; j < n; j++) {
                        o += p[j] / sum * v[j * d + h * dh + c];
                    }
                    assertEquals(o, out[i * d + h * dh + c], 1e-5 * (1 + Math.abs(o)), "head " + h + " query " + i + " column " + c);
                }
            }
        }
    }

    @Property(tries = 100)
    void addLayerNormMatchesADoubleReference(@ForAll @IntRange(min = 1, max = 9) int rows, @ForAll @IntRange(min = 1, max = 800) int d,
                                             @ForAll boolean residual, @ForAll boolean inPlace, @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = gaussian(r, rows * d), a = residual ? gaussian(r, rows * d) : null, g = gaussian(r, d), b = gaussian(r, d);
        for (int i = 0; i < x.length; i++) {
            x[i] = x[i] * 3 + 5; // a mean far from zero: the two-pass variance must not cancel
        }
        float[] expected = new float[rows * d];
        for (int i = 0; i < rows; i++) {
            double mean = 0, var = 0;
            for (int j = 0; j < d; j++) {
                mean += x[i * d + j] + (a == null ? 0f : a[i * d + j]);
            }
            mean /= d;
            for (int j = 0; j < d; j++) {
                double t = x[i * d + j] + (a == null ? 0f : a[i * d + j]) - mean;
                var += t * t;
            }
            var /= d;
            for (int j = 0; j < d; j++) {
                expected[i * d + j] = (float) ((x[i * d + j] + (a == null ? 0f : a[i * d + j]) - mean) / Math.sqrt(var + 1e-12) * g[j] + b[j]);
            }
        }
        float[] y = inPlace ? x : new float[rows * d];
        InferenceKernels.addLayerNorm(rows, d, x, 0, a, 0, g, b, 1e-12f, y, 0);
        for (int i = 0; i < y.length; i++) {
            assertEquals(expected[i], y[i], 2e-5 * (1 + Math.abs(g[i % d])) + 1e-5 * Math.abs(expected[i]), "element " + i);
        }
    }

    @Property(tries = 100)
    void requantizedRowsMatchTheJavaRule(@ForAll @IntRange(min = 0, max = 20) int rows, @ForAll @IntRange(min = 1, max = 64) int r,
                                         @ForAll boolean secondDigit, @ForAll boolean perRowInput, @ForAll long seed) {
        Random rand = new Random(seed);
        int w = secondDigit ? 2 * r : r;
        int[] acc = new int[rows * w];
        for (int i = 0; i < acc.length; i++) {
            acc[i] = rand.nextInt(2_000_001) - 1_000_000;
        }
        if (rows > 0) {
            java.util.Arrays.fill(acc, 0, w, 0); // a zero row
        }
        float[] vScale = new float[r], xs = new float[rows];
        for (int j = 0; j < r; j++) {
            vScale[j] = (float) (1e-4 * (1 + rand.nextDouble()));
        }
        for (int i = 0; i < rows; i++) {
            xs[i] = (float) (0.01 + rand.nextDouble());
        }
        byte[] hc = new byte[rows * r];
        float[] hs = new float[rows];
        InferenceKernels.requantizeRows(rows, r, w, acc, vScale, perRowInput ? xs : null, 0.5f, hc, hs);
        for (int i = 0; i < rows; i++) {
            float sx = perRowInput ? xs[i] : 0.5f, max = 0f;
            float[] h = new float[r];
            for (int j = 0; j < r; j++) {
                float hi = acc[i * w + j];
                h[j] = (secondDigit ? hi + acc[i * w + r + j] * (1f / 127f) : hi) * vScale[j] * sx;
                max = Math.max(max, Math.abs(h[j]));
            }
            float step = max > 0f ? max / 127f : 1f;
            assertEquals(step, hs[i], "row " + i + " scale");
            for (int j = 0; j < r; j++) {
                float u = h[j] / step;
                assertEquals((byte) Math.rint(Math.max(-127f, Math.min(127f, u))), hc[i * r + j], "row " + i + " code " + j);
            }
        }
    }

    @Property(tries = 60)
    void geluOnEveryPathAgrees(@ForAll @IntRange(min = 0, max = 300) int n, @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 4);
        }
        float[] y = new float[n];
        InferenceKernels.gelu(x, y, 0, n);
        float[] one = new float[1];
        for (int i = 0; i < n; i++) {
            double phi = 0.5 * (1 + erf(x[i] / Math.sqrt(2)));
            assertEquals(x[i] * phi, y[i], 5e-7 * (1 + Math.abs(x[i])), "x = " + x[i]);
            InferenceKernels.gelu(new float[] {x[i]}, one, 0, 1);
            assertEquals(y[i], one[0], "x = " + x[i] + ": the same value alone as at position " + i + " of " + n);
        }
    }

    @Test
    void refusesWhatWouldReadPastAnArray() {
        byte[] q = new byte[10];
        float[] out = new float[10];
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.attentionInt8(2, 1, 8, q, 0, q, 0, q, 0, 8, 1f, 0.1f, 1f, out, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.attentionInt8(1, 2, 4, q, 0, q, 0, q, 0, 4, 1f, 0.1f, 1f, out, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.attentionInt8(1, 1, 4, q, 0, q, 0, q, 0, 4, 1f, 0f, 1f, out, 0, 4));
        // heads x dh overflowing int must not slip past the bounds checks
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.attentionInt8(1, 65536, 65536, q, 0, q, 0, q, 0, 1, 1f, 0.1f, 1f, out,
                0, 1));
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.attentionFloat(1, 2, 1 << 30, out, 0, out, 0, out, 0, 1, 1f,
                new float[10], 0, 1));
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.attentionInt8(InferenceKernels.MAX_ATTENTION_TOKENS + 1, 1, 1,
                new byte[5000], 0, new byte[5000], 0, new byte[5000], 0, 1, 1f, 0.1f, 1f, new float[5000], 0, 1));
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.attentionInt8(1, 1, 4, q, 0, q, 0, q, 0, 4, Float.NaN, 0.1f, 1f, out,
                0, 4));
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.addLayerNorm(2, 8, out, 0, null, 0, new float[8], new float[8], 1e-12f,
                out, 0));
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.quantizeToInt8(out, 5, q, 0, 6, 0.1f));
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.quantizeToInt8(out, 0, q, 0, 10, 0f));
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.requantizeRows(2, 3, 4, new int[8], new float[3], null, 1f,
                new byte[6], new float[2]));
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.smallK(2, 3, 4, new float[7], 0, 4, new float[12], 0, 3, new float[6],
                0, 3));
        assertThrows(IllegalArgumentException.class, () -> InferenceKernels.factoredForward(2, 4, 4, 2, 3, new float[8], 0, new float[8],
                new float[12], new float[6], 0, new float[7], 0));
    }

    @Test
    void codesAtTheirOwnOffsetEqualJavaRounding() {
        Random r = new Random(3);
        float[] x = gaussian(r, 100);
        byte[] out = new byte[60];
        InferenceKernels.quantizeToInt8(x, 37, out, 5, 50, 0.01f);
        for (int i = 0; i < 50; i++) {
            float u = x[37 + i] / 0.01f;
            assertEquals((byte) Math.rint(u < -128 ? -128 : (u > 127 ? 127 : u)), out[5 + i], "element " + i);
        }
        assertEquals(0, out[0]);
        assertTrue(out.length == 60);
    }

    /** erf by Abramowitz and Stegun 7.1.28-grade accuracy is not enough here: a series / continued fraction in double. */
    static double erf(double z) {
        double t = 1.0 / (1.0 + 0.5 * Math.abs(z));
        double y = 1 - t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return z >= 0 ? y : -y;
    }

    static byte[] codes(Random r, int n, boolean extremes) {
        byte[] c = new byte[n];
        for (int i = 0; i < n; i++) {
            c[i] = extremes ? (r.nextBoolean() ? (byte) 127 : (byte) -128) : (byte) (r.nextInt(256) - 128);
        }
        return c;
    }

    static float[] gaussian(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }
}
