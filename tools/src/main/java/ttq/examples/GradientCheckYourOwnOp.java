package ttq.examples;

import java.util.Random;
import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.check.DoubleTensor;
import ttq.engine.check.GradCheck;

/**
 * Example 3: a user-defined differentiable op, Swish {@code y = x * sigmoid(x)}, with its forward
 * and backward side by side, checked by {@link GradCheck}: the helper every gradient property of
 * the project uses (forward against a double-precision reference, backward against central finite
 * differences in double). A deliberately wrong backward is caught the same way.
 *
 * <pre>java -cp tools/target/ttq.jar ttq.examples.GradientCheckYourOwnOp</pre>
 */
public final class GradientCheckYourOwnOp {
    private GradientCheckYourOwnOp() {
    }

    /** The op: forward composes engine ops without recording, backward is written by hand. */
    static final class Swish extends Function {
        private final boolean wrongBackward;

        private Swish(boolean wrongBackward) {
            this.wrongBackward = wrongBackward;
        }

        static Tensor apply(Tensor x, boolean wrongBackward) {
            Tensor s, out;
            try (ttq.engine.GradMode.Scope ignored = ttq.engine.GradMode.noGrad()) {
                s = x.sigmoid();
                out = x.mul(s);
            }
            if (!recording(x)) {
                return out;
            }
            Swish f = new Swish(wrongBackward);
            f.save(x, s); // exactly what the backward needs
            return f.attach(out, x);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0), s = saved(1);
            // d/dx x s(x) = s + x s (1 - s); the wrong one forgets the second term
            Tensor d = wrongBackward ? s : s.add(x.mul(s).mul(s.neg().add(1f)));
            return new Tensor[] {g.mul(d)};
        }
    }

    /** The same function in double precision, the reference the check differentiates numerically. */
    static DoubleTensor reference(DoubleTensor[] in) {
        DoubleTensor x = in[0], y = DoubleTensor.zeros(x.shape);
        for (int i = 0; i < x.numel(); i++) {
            y.v[i] = x.v[i] / (1 + Math.exp(-x.v[i]));
        }
        return y;
    }

    /** Runs the check on 20 random shapes; returns the first failure's message, or null. */
    static String check(boolean wrongBackward) {
        Random random = new Random(5);
        for (int trial = 0; trial < 20; trial++) {
            int rows = 1 + random.nextInt(6), cols = 1 + random.nextInt(9);
            double[] v = new double[rows * cols];
            for (int i = 0; i < v.length; i++) {
                v[i] = random.nextGaussian() * 3;
            }
            try {
                GradCheck.check("swish", new DoubleTensor[] {new DoubleTensor(v, rows, cols)}, x -> Swish.apply(x[0], wrongBackward),
                        GradientCheckYourOwnOp::reference, trial);
            } catch (AssertionError e) {
                return e.getMessage();
            }
        }
        return null;
    }

    public static void main(String[] args) {
        String ok = check(false);
        System.out.println("swish, correct backward: " + (ok == null ? "gradient check passed on 20 random shapes" : "FAILED: " + ok));
        String wrong = check(true);
        System.out.println("swish, wrong backward:   " + (wrong == null ? "not caught (!)" : "caught: " + wrong));
        if (ok != null || wrong == null) {
            System.exit(1);
        }
    }
}
