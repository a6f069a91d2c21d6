package ttq.engine.optim;

import java.util.List;
import ttq.engine.Tensor;
import ttq.kernels.Parallel;

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
 * following PyTorch's {@code torch.optim.SGD} with dampening 0:
 * <pre>
 *   d = g + weightDecay * p
 *   buf = d                      (first update of the parameter)
 *   buf = momentum * buf + d     (later updates)
 *   d = nesterov ? d + momentum * buf : buf      (when momentum != 0)
 *   p = p - lr * d
 * </pre>
 * State buffers (when momentum != 0): {@code "buf.i"}.
 */
public final class Sgd extends Optimizer {
    private final float momentum;
    private final float weightDecay;
    private final boolean nesterov;

    /** Plain SGD: no momentum, no weight decay. */
    public Sgd(List<Tensor> params, float lr) {
        this(params, lr, 0f, 0f, false);
    }

    /**
     * @param momentum    momentum factor (&gt;= 0; 0 disables momentum and its state buffer)
     * @param weightDecay L2 coefficient added to the gradient as {@code weightDecay * p} (&gt;= 0)
     * @param nesterov    Nesterov momentum (requires momentum &gt; 0)
     */
    public Sgd(List<Tensor> params, float lr, float momentum, float weightDecay, boolean nesterov) {
        super(params, lr, bufferNames(momentum));
        if (!(momentum >= 0f) || Float.isInfinite(momentum)) {
            throw new IllegalArgumentException("Sgd: momentum must be finite and >= 0, got " + momentum);
        }
        if (!(weightDecay >= 0f) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("Sgd: weightDecay must be finite and >= 0, got " + weightDecay);
        }
        if (nesterov && momentum == 0f) {
            throw new IllegalArgumentException("Sgd: Nesterov momentum requires momentum > 0");
        }
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    private static String[] bufferNames(float momentum) {
        return momentum != 0f ? new String[] {"buf"} : new String[0];
    }

    /** The momentum factor (0 = none). */
    public float momentum() {
        return momentum;
    }

    /** The L2 weight-decay coefficient. */
    public float weightDecay() {
        return weightDecay;
    }

    /** Whether Nesterov momentum is used. */
    public boolean nesterov() {
        return nesterov;
    }

    @Override
    protected void update(int index, float[] p, float[] g, int step) {
        final float lr = learningRate();
        final float wd = inLogDomainStep() ? 0f : weightDecay;
        final float mom = momentum;
        if (mom == 0f) {
            Parallel.forRange(p.length, (from, to) -> {
                for (int j = from; j < to; j++) {
                    float d = wd != 0f ? g[j] + wd * p[j] : g[j];
                    p[j] -= lr * d;
                }
            });
            return;
        }
        final float[] buf = buffer(0, index);
        final boolean first = step == 1;
        final boolean nest = nesterov;
        Parallel.forRange(p.length, (from, to) -> {
            for (int j = from; j < to; j++) {
                float d = wd != 0f ? g[j] + wd * p[j] : g[j];
                float b = first ? d : mom * buf[j] + d;
                buf[j] = b;
                p[j] -= lr * (nest ? d + mom * b : b);
            }
        });
    }
}
