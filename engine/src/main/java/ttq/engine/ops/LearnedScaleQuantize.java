package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * Symmetric fake quantization with a learned scale (section 2.2 of the paper, after LSQ):
 * Q(x, s, b) = s * rint(clip(x / s, -2^(b-1), 2^(b-1) - 1)), round half to even. The scale
 * broadcasts to x (one per tensor, or per channel). Straight-through gradients exactly as the
 * paper's eqs. (1) and (2): dQ/dx = 1 inside the range and 0 outside; dQ/ds = (Q - x)/s inside,
 * -2^(b-1) below, 2^(b-1) - 1 above; the scale's gradient is multiplied by {@code gradScale}
 * (LSQ's 1/sqrt(N Q_p), or 1).
 */
public final class LearnedScaleQuantize extends Function {
    private int lo, hi;
    private float gradScale;

    /** Q(x, scale, bits); gradScale multiplies the scale's gradient (1 = off). */
    public static Tensor apply(Tensor x, Tensor scale, int bits, float gradScale) {
        if (bits < 2 || bits > 8) {
            throw new IllegalArgumentException("quantize: bits must be in [2, 8], got " + bits);
        }
        int[] b = Shape.broadcast("quantize", x.shape(), scale.shape());
        if (!java.util.Arrays.equals(b, x.shape())) {
            throw new IllegalArgumentException("quantize: scale " + Shape.str(scale.shape()) + " does not broadcast to "
                    + Shape.str(x.shape()));
        }
        for (float d : scale.data()) {
            if (!(d > 0f) || !Float.isFinite(d)) {
                throw new IllegalArgumentException("quantize: scale must be positive and finite, got " + d);
            }
        }
        int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
        Tensor out = CpuKernels.quantize(x, scale, lo, hi);
        if (!recording(x, scale)) {
            return out;
        }
        LearnedScaleQuantize f = new LearnedScaleQuantize();
        f.lo = lo;
        f.hi = hi;
        f.gradScale = gradScale;
        f.save(x, scale);
        return f.attach(out, x, scale);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor x = saved(0), scale = saved(1);
        Tensor[] d = CpuKernels.quantizeBackward(x, scale, g, lo, hi);
        Tensor ds = needsGrad(1) ? d[1] : null;
        if (ds != null && gradScale != 1f) {
            ds = ds.mul(gradScale);
        }
        return new Tensor[] {needsGrad(0) ? d[0] : null, ds};
    }
}
