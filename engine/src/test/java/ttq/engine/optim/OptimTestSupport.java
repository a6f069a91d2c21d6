package ttq.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import ttq.engine.Tensor;

/** Helpers shared by the optimizer tests. */
final class OptimTestSupport {
    private OptimTestSupport() {
    }

    /** A 1-D parameter (requires grad) holding a copy of values. */
    static Tensor param(float... values) {
        return Tensor.of(values, values.length).requiresGrad(true);
    }

    /** Replaces p's gradient with a copy of g (same shape as p). */
    static void setGrad(Tensor p, float... g) {
        p.zeroGrad();
        p.backward(Tensor.of(g, p.shape()));
    }

    /** |actual - expected| <= rel * |expected| for each element. */
    static void assertRelative(double[] expected, Tensor actual, double rel) {
        float[] a = actual.data();
        assertEquals(expected.length, a.length, "length");
        for (int i = 0; i < a.length; i++) {
            double tol = rel * Math.abs(expected[i]);
            assertEquals(expected[i], a[i], tol, "element " + i + ": expected " + expected[i] + " got " + a[i]);
        }
    }

    /** Copies of the tensors (values only), each requiring grad. */
    static List<Tensor> copies(List<Tensor> params) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : params) {
            out.add(p.copy().requiresGrad(true));
        }
        return out;
    }

    /** Raw float bits of every element, to compare tensors bit for bit. */
    static int[] bits(Tensor t) {
        float[] d = t.data();
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = Float.floatToRawIntBits(d[i]);
        }
        return out;
    }

    /** Deep copy of a state map (values only). */
    static Map<String, Tensor> copyState(Map<String, Tensor> state) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }
}
