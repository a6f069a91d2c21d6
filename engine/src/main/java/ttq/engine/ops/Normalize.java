package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * (x - mean) / sqrt(var + eps) over the last axis: the non-affine core of layer norm, fused with
 * its own backward (saves the normalized output and 1/std per row).
 */
public final class Normalize extends Function {
    private float[] rstd;

    /** x normalized over the last axis. */
    public static Tensor apply(Tensor x, float eps) {
        if (x.rank() == 0 || x.dim(-1) == 0) {
            throw new IllegalArgumentException("layerNorm: needs a non-empty last axis, got shape " + ttq.engine.Shape.str(x.shape()));
        }
        float[] rstd = new float[x.numel() / x.dim(-1)];
        Tensor out = CpuKernels.layerNormForward(x, eps, rstd);
        if (!recording(x)) {
            return out;
        }
        Normalize f = new Normalize();
        f.rstd = rstd;
        f.save(out);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {CpuKernels.layerNormBackward(saved(0), rstd, g)};
    }
}
