package ttq.model;

import java.util.Random;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;

/**
 * Dense affine layer y = x W + b. W is stored [in, out] so the forward is one GEMM with no
 * transpose copy. Initialisation: uniform(-1/sqrt(in), 1/sqrt(in)) for W and b, as PyTorch's
 * nn.Linear, so W has variance 1/(3 in).
 */
public final class Linear extends Module implements Layer {
    private final Tensor weight;
    private final Tensor bias;
    private final int in, out;

    /** A dense in -> out layer, weight and bias uniform in +-1/sqrt(in) (PyTorch's default) from random. */
    public Linear(int in, int out, boolean withBias, Random random) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear: sizes must be positive, got in=" + in + " out=" + out);
        }
        this.in = in;
        this.out = out;
        float bound = (float) (1.0 / Math.sqrt(in));
        weight = parameter("weight", Tensor.uniform(random, -bound, bound, in, out));
        bias = withBias ? parameter("bias", Tensor.uniform(random, -bound, bound, out)) : null;
    }

    /** x [..., in] to [..., out]. */
    @Override
    public Tensor forward(Tensor x) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            if (x.rank() < 1 || x.dim(-1) != in) {
                throw new IllegalArgumentException("Linear(" + in + "->" + out + "): input shape "
                        + java.util.Arrays.toString(x.shape()) + " must end in " + in);
            }
            Tensor x2 = x.rank() == 1 ? x.reshape(1, in) : x;
            Tensor y = Ops.linear(x2, weight, bias);
            return x.rank() == 1 ? y.reshape(out) : y;
        }
    }

    /** Weight [out, in]. */
    public Tensor weight() {
        return weight;
    }

    /** Bias [out], or null without one. */
    public Tensor bias() {
        return bias;
    }

    /** Input width N. */
    public int inFeatures() {
        return in;
    }

    /** Output width M. */
    public int outFeatures() {
        return out;
    }
}
