package ttq.engine.optim;

import java.util.List;
import ttq.engine.Tensor;

/**
 * AdamW (Loshchilov and Hutter) as PyTorch's {@code torch.optim.AdamW}: Adam with decoupled
 * weight decay, {@code p = p * (1 - lr * weightDecay)} before the Adam update (the native kernel
 * computes {@code p - (adamUpdate + lr * weightDecay * p)} from the pre-update p, the same value
 * up to float rounding). Default weight decay 0.01; other defaults as {@link Adam}.
 */
public final class AdamW extends Adam {
    /** Default decoupled weight decay, 0.01 (as PyTorch). */
    public static final float DEFAULT_WEIGHT_DECAY = 0.01f;

    /** AdamW with the defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Tensor> params) {
        this(params, DEFAULT_LR);
    }

    /** AdamW with the given learning rate and the other defaults. */
    public AdamW(List<Tensor> params, float lr) {
        this(params, lr, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPS, DEFAULT_WEIGHT_DECAY);
    }

    /** AdamW with every hyperparameter given (ranges as {@link Adam}). */
    public AdamW(List<Tensor> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
        super(params, lr, beta1, beta2, eps, weightDecay, true);
    }
}
