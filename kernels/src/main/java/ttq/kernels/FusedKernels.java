package ttq.kernels;

/**
 * Checked entry points to the fused elementwise kernels of {@code native/ttq_elementwise.h}
 * (portable and AVX2/FMA versions, chosen by the loader from CPUID). Large arrays are split over
 * the cores by {@link Parallel}; bounds are validated here before any native call.
 */
public final class FusedKernels {
    static {
        NativeLibrary.require();
    }

    private FusedKernels() {
    }

    /** y[i] = GELU(x[i]) (erf form) for i in [0, n). */
    public static void geluForward(float[] x, float[] y, int n) {
        checkLength("gelu", n, x, y);
        Parallel.forRange(n, (from, to) -> NativeKernels.ttq_gelu_forward(x, y, from, to - from));
    }

    /** dx[i] = dy[i] * GELU'(x[i]) for i in [0, n). */
    public static void geluBackward(float[] x, float[] dy, float[] dx, int n) {
        checkLength("gelu backward", n, x, dy, dx);
        Parallel.forRange(n, (from, to) -> NativeKernels.ttq_gelu_backward(x, dy, dx, from, to - from));
    }

    /**
     * Fake quantization with one scale over [from, to): q[i] = d * rint(clamp(x[i] / d, lo, hi)) + 0,
     * bit-exact with the engine's Java loop. d must be positive and finite.
     */
    public static void quantizeForward(float[] x, float[] q, int from, int to, float d, int lo, int hi) {
        checkRange("quantize", from, to, x, q);
        checkScale("quantize", d, lo, hi);
        NativeKernels.ttq_quantize_forward(x, q, from, to - from, d, lo, hi);
    }

    /**
     * Straight-through backward of {@link #quantizeForward} over [from, to): writes dx (g inside
     * [lo, hi], 0 outside) and returns the sum of the scale-gradient terms there.
     */
    public static double quantizeBackward(float[] x, float[] g, float[] dx, int from, int to, float d, int lo, int hi) {
        checkRange("quantize backward", from, to, x, g, dx);
        checkScale("quantize backward", d, lo, hi);
        return NativeKernels.ttq_quantize_backward(x, g, dx, from, to - from, d, lo, hi);
    }

    /** q = Q(GELU(x), d) over [from, to): {@link #geluForward} then {@link #quantizeForward} in one pass, bit-identical to them on the same range. */
    public static void geluQuantizeForward(float[] x, float[] q, int from, int to, float d, int lo, int hi) {
        checkRange("gelu quantize", from, to, x, q);
        checkScale("gelu quantize", d, lo, hi);
        NativeKernels.ttq_gelu_quantize_forward(x, q, from, to - from, d, lo, hi);
    }

    /**
     * Backward of {@link #geluQuantizeForward} over [from, to): dx = (g inside [lo, hi], 0 outside) *
     * GELU'(x); returns the sum of the scale-gradient terms there.
     */
    public static double geluQuantizeBackward(float[] x, float[] g, float[] dx, int from, int to, float d, int lo, int hi) {
        checkRange("gelu quantize backward", from, to, x, g, dx);
        checkScale("gelu quantize backward", d, lo, hi);
        return NativeKernels.ttq_gelu_quantize_backward(x, g, dx, from, to - from, d, lo, hi);
    }

    /**
     * Integer codes over [from, to): {@code out[i] = rint(clamp(x[i] / d, lo, hi))} with {@code -128 <= lo <= hi <= 127}
     * (NaN gives 0), equal to Java's {@code (byte) Math.rint(...)} of the same clamp.
     */
    public static void quantizeToInt8(float[] x, byte[] out, int from, int to, float d, int lo, int hi) {
        checkRange("quantize to int8", from, to, x);
        checkScale("quantize to int8", d, lo, hi);
        if (out == null || out.length < to) {
            throw new IllegalArgumentException("quantize to int8: output of length " + (out == null ? "null" : out.length) + " shorter than " + to);
        }
        if (lo < -128 || hi > 127) {
            throw new IllegalArgumentException("quantize to int8: range [" + lo + ", " + hi + "] leaves int8");
        }
        NativeKernels.ttq_quantize_to_int8(x, out, from, to - from, d, lo, hi);
    }

    private static void checkRange(String op, int from, int to, float[]... arrays) {
        if (from < 0 || to < from) {
            throw new IllegalArgumentException(op + ": bad range [" + from + ", " + to + ")");
        }
        checkLength(op, to, arrays);
    }

    private static void checkScale(String op, float d, int lo, int hi) {
        if (!(d > 0f) || !Float.isFinite(d) || lo > hi) {
            throw new IllegalArgumentException(op + ": scale must be positive and finite and lo <= hi, got " + d + ", [" + lo + ", " + hi + "]");
        }
    }

    /**
     * One Adam step in place over n elements. bc1 and bc2 are the bias corrections 1 - beta^t;
     * decoupled selects AdamW weight decay, otherwise weightDecay is an L2 term in the gradient.
     */
    public static void adamUpdate(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1,
                                  float beta2, float eps, float weightDecay, boolean decoupled, float bc1, float bc2) {
        checkLength("adam", n, p, g, m, v);
        Parallel.forRange(n, (from, to) -> NativeKernels.ttq_adam_update(p, g, m, v, from, to - from,
                lr, beta1, beta2, eps, weightDecay, decoupled ? 1 : 0, bc1, bc2));
    }

    private static void checkLength(String op, int n, float[]... arrays) {
        if (n < 0) {
            throw new IllegalArgumentException(op + ": negative length " + n);
        }
        for (float[] a : arrays) {
            if (a == null || a.length < n) {
                throw new IllegalArgumentException(op + ": array of length " + (a == null ? "null" : a.length)
                        + " shorter than " + n);
            }
        }
    }
}
