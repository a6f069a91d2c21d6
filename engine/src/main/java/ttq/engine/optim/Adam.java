package ttq.engine.optim;

import java.util.List;
import ttq.engine.Tensor;
import ttq.kernels.FusedKernels;

/**
 * Adam (Kingma and Ba) as PyTorch's {@code torch.optim.Adam}, with weight decay as an L2 term
 * added to the gradient ({@code g += weightDecay * p}); {@link AdamW} is the decoupled variant.
 * With t the number of updates of the parameter (its "step.i", starting at 1):
 * <pre>
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g * g
 *   p = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 * </pre>
 * Runs on the fused native kernel {@link FusedKernels#adamUpdate}; bias corrections are computed
 * in double and rounded to float. State buffers: {@code "m.i"} and {@code "v.i"}.
 */
public class Adam extends Optimizer {
    /** Default learning rate, 1e-3. */
    public static final float DEFAULT_LR = 1e-3f;
    /** Default beta1, 0.9. */
    public static final float DEFAULT_BETA1 = 0.9f;
    /** Default beta2, 0.999. */
    public static final float DEFAULT_BETA2 = 0.999f;
    /** Default epsilon, 1e-8. */
    public static final float DEFAULT_EPS = 1e-8f;

    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final boolean decoupled;

    /** Adam with the defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public Adam(List<Tensor> params) {
        this(params, DEFAULT_LR);
    }

    /** Adam with the given learning rate and the other defaults. */
    public Adam(List<Tensor> params, float lr) {
        this(params, lr, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPS, 0f);
    }

    /**
     * @param beta1       first-moment decay, in [0, 1)
     * @param beta2       second-moment decay, in [0, 1)
     * @param eps         denominator term, finite and &gt;= 0
     * @param weightDecay L2 coefficient added to the gradient, finite and &gt;= 0
     */
    public Adam(List<Tensor> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
        this(params, lr, beta1, beta2, eps, weightDecay, false);
    }

    /** For {@link AdamW}: decoupled selects decoupled weight decay. */
    protected Adam(List<Tensor> params, float lr, float beta1, float beta2, float eps, float weightDecay,
                   boolean decoupled) {
        super(params, lr, "m", "v");
        String name = getClass().getSimpleName();
        if (!(beta1 >= 0f && beta1 < 1f)) {
            throw new IllegalArgumentException(name + ": beta1 must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException(name + ": beta2 must be in [0, 1), got " + beta2);
        }
        if (!(eps >= 0f) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(name + ": eps must be finite and >= 0, got " + eps);
        }
        if (!(weightDecay >= 0f) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException(name + ": weightDecay must be finite and >= 0, got " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    /** First-moment decay. */
    public final float beta1() {
        return beta1;
    }

    /** Second-moment decay. */
    public final float beta2() {
        return beta2;
    }

    /** Denominator epsilon. */
    public final float eps() {
        return eps;
    }

    /** Weight-decay coefficient (L2 for Adam, decoupled for AdamW). */
    public final float weightDecay() {
        return weightDecay;
    }

    /** True for decoupled (AdamW) weight decay. */
    public final boolean decoupled() {
        return decoupled;
    }

    @Override
    protected final void update(int index, float[] p, float[] g, int step) {
        float bc1 = (float) (1.0 - Math.pow(beta1, step));
        float bc2 = (float) (1.0 - Math.pow(beta2, step));
        FusedKernels.adamUpdate(p, g, buffer(0, index), buffer(1, index), p.length, learningRate(), beta1, beta2,
                eps, inLogDomainStep() ? 0f : weightDecay, decoupled, bc1, bc2);
    }
}
