package ttq.model.nn;

import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;

/** Layer normalisation over the last axis with learned gain (ones) and bias (zeros), eps 1e-12 as BERT. */
public final class LayerNorm extends Module {
    private final Tensor weight, bias;
    private final float eps;

    /** Layer norm over the last axis of width size, eps 1e-12 (BERT). */
    public LayerNorm(int size) {
        this(size, 1e-12f);
    }

    /** Layer norm over the last axis of width size with the given eps. */
    public LayerNorm(int size, float eps) {
        this.weight = parameter("weight", Tensor.ones(size));
        this.bias = parameter("bias", Tensor.zeros(size));
        this.eps = eps;
    }

    /** Gain gamma [size]. */
    public Tensor weight() {
        return weight;
    }

    /** Bias beta [size]. */
    public Tensor bias() {
        return bias;
    }

    /** The variance floor eps. */
    public float eps() {
        return eps;
    }

    /** gamma * (x - mean) / sqrt(var + eps) + beta over the last axis. */
    public Tensor forward(Tensor x) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            return Ops.layerNorm(x, weight, bias, eps);
        }
    }

    /** gamma * norm(x + residual) + beta over the last axis: the residual add fused into the norm. */
    public Tensor forward(Tensor x, Tensor residual) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            return Ops.addLayerNorm(x, residual, weight, bias, eps);
        }
    }
}
