package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * GELU followed by learned-scale fake quantization with one scale, Q(GELU(x), s, b), in one pass:
 * the feed-forward GELU whose output is the INT8 input of the next layer. The composed ops write
 * GELU(x) and read it back in both directions; this op reads x only (its backward forms GELU(x)
 * again). Forward bit-identical to {@link Gelu} then {@link LearnedScaleQuantize}. Backward: the
 * quantizer's straight-through rule (dy = g inside the range, 0 outside; the scale's gradient as
 * the paper's eq. 2, times {@code gradScale}), then dx = dy * GELU'(x). Saves x and the scale.
 */
public final class GeluQuantize extends Function {
    private int lo, hi;
    private float gradScale;

    /** Q(GELU(x), scale, bits) for a one-element scale; gradScale multiplies the scale's gradient. */
    public static Tensor apply(Tensor x, Tensor scale, int bits, float gradScale) {
        if (bits < 2 || bits > 8) {
            throw new IllegalArgumentException("geluQuantize: bits must be in [2, 8], got " + bits);
        }
        if (scale.numel() != 1) {
            throw new IllegalArgumentException("geluQuantize: needs one scale for the tensor, got shape " + Shape.str(scale.shape()));
        }
        float d = scale.data()[0];
        if (!(d > 0f) || !Float.isFinite(d)) {
            throw new IllegalArgumentException("geluQuantize: scale must be positive and finite, got " + d);
        }
        int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
        Tensor out = CpuKernels.geluQuantize(x, d, lo, hi);
        if (!recording(x, scale)) {
            return out;
        }
        GeluQuantize f = new GeluQuantize();
        f.lo = lo;
        f.hi = hi;
        f.gradScale = gradScale;
        f.save(x, scale);
        return f.attach(out, x, scale);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor x = saved(0), scale = saved(1);
        Tensor[] d = CpuKernels.geluQuantizeBackward(x, scale.data()[0], g, lo, hi);
        Tensor ds = null;
        if (needsGrad(1)) {
            ds = Tensor.wrap(new float[] {d[1].item() * gradScale}, scale.shape());
        }
        return new Tensor[] {needsGrad(0) ? d[0] : null, ds};
    }
}
