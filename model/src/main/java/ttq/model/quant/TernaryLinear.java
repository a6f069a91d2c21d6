package ttq.model.quant;

import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;
import ttq.model.Layer;

/**
 * A dense layer whose weight is used ternary (or binary) in every forward pass, XTC-style: the
 * full-precision latent weight W [in, out] is trained through the straight-through gradient of
 * {@link Ops#ternary} / {@link Ops#binary}; the bias stays full precision.
 */
public final class TernaryLinear extends Module implements Layer {
    private final Tensor weight, bias;
    private final boolean binary;

    /** From a weight [in, out] and bias [out] (copied), e.g. a teacher's layer. */
    public TernaryLinear(Tensor weightInOut, Tensor bias, boolean binary) {
        if (weightInOut.rank() != 2 || bias.rank() != 1 || bias.dim(0) != weightInOut.dim(1)) {
            throw new IllegalArgumentException("TernaryLinear: weight [in, out] and bias [out] needed, got "
                    + java.util.Arrays.toString(weightInOut.shape()) + " and " + java.util.Arrays.toString(bias.shape()));
        }
        this.weight = parameter("weight", Tensor.wrap(weightInOut.data().clone(), weightInOut.shape()));
        this.bias = parameter("bias", Tensor.wrap(bias.data().clone(), bias.shape()));
        this.binary = binary;
    }

    @Override
    public Tensor forward(Tensor x) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            return Ops.linear(x, binary ? Ops.binary(weight) : Ops.ternary(weight), bias);
        }
    }

    /** True for binary weights, false for ternary. */
    public boolean binary() {
        return binary;
    }

    /** Weight [in, out] (the latent full-precision values). */
    public Tensor weight() {
        return weight;
    }
}
