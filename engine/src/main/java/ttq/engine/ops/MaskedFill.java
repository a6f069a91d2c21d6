package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Replaces x where mask (broadcast, non-zero = fill) is set; the gradient flows only elsewhere. */
public final class MaskedFill extends Function {
    /** x with value wherever mask is non-zero. */
    public static Tensor apply(Tensor x, Tensor mask, float value) {
        int[] b = Shape.broadcast("maskedFill", x.shape(), mask.shape());
        if (!java.util.Arrays.equals(b, x.shape())) {
            throw new IllegalArgumentException("maskedFill: mask " + Shape.str(mask.shape())
                    + " does not broadcast to " + Shape.str(x.shape()));
        }
        Tensor out = CpuKernels.maskedFill(x, mask, value);
        if (!recording(x)) {
            return out;
        }
        MaskedFill f = new MaskedFill();
        f.save(mask);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {CpuKernels.maskedFill(g, saved(0), 0f)};
    }
}
