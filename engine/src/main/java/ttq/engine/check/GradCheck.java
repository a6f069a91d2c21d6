package ttq.engine.check;

import java.util.Random;
import java.util.function.Function;
import ttq.engine.Tensor;

/**
 * Checks an engine operation against a double-precision reference: the forward values, and the
 * gradient from the engine's backward against central finite differences of the reference
 * (in double), for the scalar loss sum(w * f(x)) with random weights w. This is the helper every
 * gradient property of the project uses; user-defined ops can be checked the same way.
 */
public final class GradCheck {
    /** Tolerances: {@code |engine - reference| <= abs + rel * |reference|}, per element. */
    public record Tolerance(double forwardAbs, double forwardRel, double gradAbs, double gradRel, double step) {
        /** Defaults suited to float32 engine arithmetic against a double reference. */
        public static Tolerance standard() {
            return new Tolerance(1e-5, 1e-4, 1e-4, 2e-3, 1e-6);
        }
    }

    private GradCheck() {
    }

    /** {@link #check(String, DoubleTensor[], Function, Function, Tolerance, long)} with standard tolerances. */
    public static void check(String op, DoubleTensor[] inputs, Function<Tensor[], Tensor> engine,
                             Function<DoubleTensor[], DoubleTensor> reference, long seed) {
        check(op, inputs, engine, reference, Tolerance.standard(), seed);
    }

    /**
     * Runs the check; throws {@link AssertionError} naming the op, the input, the element and
     * both values on the first mismatch. Inputs are rounded to float first, so engine and
     * reference see identical values.
     */
    public static void check(String op, DoubleTensor[] inputs, Function<Tensor[], Tensor> engine,
                             Function<DoubleTensor[], DoubleTensor> reference, Tolerance tol, long seed) {
        int n = inputs.length;
        DoubleTensor[] x = new DoubleTensor[n];
        Tensor[] leaves = new Tensor[n];
        for (int i = 0; i < n; i++) {
            leaves[i] = inputs[i].toTensor().requiresGrad(true);
            x[i] = DoubleTensor.of(leaves[i]);
        }
        Tensor out = engine.apply(leaves);
        DoubleTensor ref = reference.apply(copies(x));
        if (!java.util.Arrays.equals(out.shape(), ref.shape)) {
            throw new AssertionError(op + ": engine output shape " + java.util.Arrays.toString(out.shape())
                    + " vs reference " + java.util.Arrays.toString(ref.shape));
        }
        float[] o = out.data();
        for (int j = 0; j < o.length; j++) {
            if (!close(o[j], ref.v[j], tol.forwardAbs(), tol.forwardRel())) {
                throw new AssertionError(op + ": forward element " + j + " engine " + o[j] + " reference " + ref.v[j]);
            }
        }
        Random random = new Random(seed);
        double[] w = new double[o.length];
        float[] wf = new float[o.length];
        for (int j = 0; j < w.length; j++) {
            wf[j] = (float) (random.nextDouble() * 2 - 1);
            w[j] = wf[j];
        }
        if (!out.requiresGrad()) {
            throw new AssertionError(op + ": output does not require grad although its inputs do");
        }
        out.backward(Tensor.wrap(wf, out.shape()));
        for (int i = 0; i < n; i++) {
            Tensor g = leaves[i].grad();
            double scale = 0;
            double[] fd = new double[x[i].numel()];
            for (int j = 0; j < fd.length; j++) {
                fd[j] = finiteDifference(reference, x, i, j, w, tol.step());
                scale = Math.max(scale, Math.abs(fd[j]));
            }
            for (int j = 0; j < fd.length; j++) {
                double actual = g == null ? 0.0 : g.data()[j];
                if (!close(actual, fd[j], tol.gradAbs() * (1 + scale), tol.gradRel())) {
                    throw new AssertionError(op + ": gradient of input " + i + " element " + j + ": engine " + actual
                            + " vs finite difference " + fd[j] + " (input shape " + java.util.Arrays.toString(x[i].shape) + ")");
                }
            }
        }
    }

    private static double finiteDifference(Function<DoubleTensor[], DoubleTensor> f, DoubleTensor[] x, int i, int j,
                                           double[] w, double h) {
        DoubleTensor[] plus = copies(x), minus = copies(x);
        double step = h * Math.max(1.0, Math.abs(x[i].v[j]));
        plus[i].v[j] += step;
        minus[i].v[j] -= step;
        return (dot(f.apply(plus), w) - dot(f.apply(minus), w)) / (2 * step);
    }

    private static double dot(DoubleTensor t, double[] w) {
        double s = 0;
        for (int k = 0; k < w.length; k++) {
            s += t.v[k] * w[k];
        }
        return s;
    }

    private static DoubleTensor[] copies(DoubleTensor[] x) {
        DoubleTensor[] c = new DoubleTensor[x.length];
        for (int k = 0; k < x.length; k++) {
            c[k] = x[k].copy();
        }
        return c;
    }

    private static boolean close(double actual, double expected, double abs, double rel) {
        if (Double.isNaN(expected)) {
            return Double.isNaN(actual);
        }
        return Math.abs(actual - expected) <= abs + rel * Math.abs(expected);
    }
}
