package ttq.engine.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import ttq.engine.Tensor;

/**
 * Sgd, Adam and AdamW against straightforward double-precision reference implementations written
 * here (PyTorch formulas), over several steps with random parameters, gradients (some missing),
 * hyperparameters and a learning rate that changes between steps.
 */
class OptimizerProperties {

    /** A random problem: initial values, per-step learning rates and gradients (null = no grad). */
    private static final class Problem {
        final float[][] init;
        final float[] lrs;
        final float[][][] grads; // [step][param][element]

        Problem(Random r, float baseLr) {
            int nParams = 1 + r.nextInt(3);
            int steps = 1 + r.nextInt(6);
            init = new float[nParams][];
            for (int i = 0; i < nParams; i++) {
                init[i] = new float[1 + r.nextInt(6)];
                for (int j = 0; j < init[i].length; j++) {
                    init[i][j] = (float) (2 * r.nextGaussian());
                }
            }
            lrs = new float[steps];
            grads = new float[steps][nParams][];
            for (int s = 0; s < steps; s++) {
                lrs[s] = (float) (baseLr * (0.5 + r.nextDouble()));
                for (int i = 0; i < nParams; i++) {
                    if (r.nextInt(5) == 0) {
                        continue; // no gradient for this parameter on this step
                    }
                    float[] g = new float[init[i].length];
                    for (int j = 0; j < g.length; j++) {
                        g[j] = r.nextInt(10) == 0 ? 0f
                                : (float) (r.nextGaussian() * Math.pow(10, -3 + 4 * r.nextDouble()));
                    }
                    grads[s][i] = g;
                }
            }
        }

        List<Tensor> params() {
            List<Tensor> out = new ArrayList<>();
            for (float[] v : init) {
                out.add(Tensor.of(v, v.length).requiresGrad(true));
            }
            return out;
        }

        void run(Optimizer opt) {
            for (int s = 0; s < lrs.length; s++) {
                opt.zeroGrad();
                for (int i = 0; i < init.length; i++) {
                    if (grads[s][i] != null) {
                        OptimTestSupport.setGrad(opt.parameters().get(i), grads[s][i]);
                    }
                }
                opt.setLearningRate(lrs[s]);
                opt.step();
            }
        }
    }

    /** Reference state: values, summed magnitude of all updates, per-parameter step counts. */
    private static final class Reference {
        final double[][] p;
        final double[][] moved;
        final double[][] m;
        final double[][] v;
        final int[] t;

        Reference(Problem pr) {
            int n = pr.init.length;
            p = new double[n][];
            moved = new double[n][];
            m = new double[n][];
            v = new double[n][];
            t = new int[n];
            for (int i = 0; i < n; i++) {
                p[i] = new double[pr.init[i].length];
                for (int j = 0; j < p[i].length; j++) {
                    p[i][j] = pr.init[i][j];
                }
                moved[i] = new double[p[i].length];
                m[i] = new double[p[i].length];
                v[i] = new double[p[i].length];
            }
        }
    }

    private static double[][] adamReference(Problem pr, double b1, double b2, double eps, double wd,
                                            boolean decoupled, Reference ref) {
        for (int s = 0; s < pr.lrs.length; s++) {
            double lr = pr.lrs[s];
            for (int i = 0; i < pr.init.length; i++) {
                float[] g = pr.grads[s][i];
                if (g == null) {
                    continue;
                }
                int t = ++ref.t[i];
                for (int j = 0; j < g.length; j++) {
                    double p = ref.p[i][j];
                    double gj = decoupled ? g[j] : g[j] + wd * p;
                    double m = b1 * ref.m[i][j] + (1 - b1) * gj;
                    double v = b2 * ref.v[i][j] + (1 - b2) * gj * gj;
                    ref.m[i][j] = m;
                    ref.v[i][j] = v;
                    double step = lr * (m / (1 - Math.pow(b1, t))) / (Math.sqrt(v / (1 - Math.pow(b2, t))) + eps);
                    double decay = decoupled ? lr * wd * p : 0;
                    ref.p[i][j] = p * (decoupled ? 1 - lr * wd : 1) - step;
                    ref.moved[i][j] += Math.abs(step) + Math.abs(decay);
                }
            }
        }
        return ref.p;
    }

    private static double[][] sgdReference(Problem pr, double momentum, double wd, boolean nesterov, Reference ref) {
        for (int s = 0; s < pr.lrs.length; s++) {
            double lr = pr.lrs[s];
            for (int i = 0; i < pr.init.length; i++) {
                float[] g = pr.grads[s][i];
                if (g == null) {
                    continue;
                }
                int t = ++ref.t[i];
                for (int j = 0; j < g.length; j++) {
                    double p = ref.p[i][j];
                    double d = g[j] + wd * p;
                    if (momentum != 0) {
                        double buf = t == 1 ? d : momentum * ref.m[i][j] + d;
                        ref.m[i][j] = buf;
                        d = nesterov ? d + momentum * buf : buf;
                    }
                    ref.p[i][j] = p - lr * d;
                    ref.moved[i][j] += Math.abs(lr * d);
                }
            }
        }
        return ref.p;
    }

    /** Float result within 1e-5 of the total movement plus a few ulps of rounding per step. */
    private static void assertMatches(Problem pr, Reference ref, List<Tensor> params, String what) {
        int steps = pr.lrs.length;
        for (int i = 0; i < params.size(); i++) {
            float[] actual = params.get(i).data();
            for (int j = 0; j < actual.length; j++) {
                double expected = ref.p[i][j];
                double scale = Math.max(Math.abs(expected), Math.abs(pr.init[i][j]));
                double tol = 1e-5 * ref.moved[i][j] + 2.0 * (steps + 1) * Math.ulp((float) scale);
                double err = Math.abs(actual[j] - expected);
                assertTrue(err <= tol, what + " parameter " + i + " element " + j + ": expected " + expected
                        + ", got " + actual[j] + " (error " + err + " > tolerance " + tol + ")");
            }
        }
    }

    @Property(tries = 200)
    void adamAndAdamWMatchDoubleReference(@ForAll long seed, @ForAll boolean decoupled, @ForAll boolean withDecay) {
        Random r = new Random(seed);
        float lr = (float) Math.pow(10, -4 + 3 * r.nextDouble());
        float beta1 = r.nextBoolean() ? 0.9f : (float) (0.99 * r.nextDouble());
        float beta2 = r.nextBoolean() ? 0.999f : (float) (0.9 + 0.0999 * r.nextDouble());
        float eps = (float) Math.pow(10, -8 + 2 * r.nextDouble());
        float wd = withDecay ? (float) (0.2 * r.nextDouble()) : 0f;
        Problem pr = new Problem(r, lr);
        List<Tensor> params = pr.params();
        Optimizer opt = decoupled ? new AdamW(params, lr, beta1, beta2, eps, wd) : new Adam(params, lr, beta1, beta2, eps, wd);
        pr.run(opt);
        Reference ref = new Reference(pr);
        adamReference(pr, beta1, beta2, eps, wd, decoupled, ref);
        assertMatches(pr, ref, params, (decoupled ? "AdamW" : "Adam") + "(beta1=" + beta1 + ", beta2=" + beta2
                + ", eps=" + eps + ", wd=" + wd + ")");
    }

    @Property(tries = 200)
    void sgdMatchesDoubleReference(@ForAll long seed, @ForAll boolean withMomentum, @ForAll boolean nesterov,
                                   @ForAll boolean withDecay) {
        Random r = new Random(seed);
        float lr = (float) Math.pow(10, -3 + 3 * r.nextDouble());
        float momentum = withMomentum ? (float) (0.99 * r.nextDouble()) + 0.001f : 0f;
        boolean nest = nesterov && withMomentum;
        float wd = withDecay ? (float) (0.2 * r.nextDouble()) : 0f;
        Problem pr = new Problem(r, lr);
        List<Tensor> params = pr.params();
        Sgd opt = new Sgd(params, lr, momentum, wd, nest);
        pr.run(opt);
        Reference ref = new Reference(pr);
        sgdReference(pr, momentum, wd, nest, ref);
        assertMatches(pr, ref, params, "Sgd(momentum=" + momentum + ", wd=" + wd + ", nesterov=" + nest + ")");
    }
}
