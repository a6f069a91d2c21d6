package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Sum over axes (all when none given), optionally keeping them as size 1. Backward broadcasts. */
public final class Sum extends Function {
    private int[] inShape, keptShape;

    /** Sum of x over axes (all when empty), keeping them as size 1 if keepDim. */
    public static Tensor apply(Tensor x, int[] axes, boolean keepDim) {
        int[] ax = Shape.axes("sum", axes, x.rank());
        Tensor kept = CpuKernels.sumKeepDim(x, ax);
        Tensor out = keepDim ? kept : Tensor.wrap(kept.data(), Shape.reduced(x.shape(), ax, false));
        if (!recording(x)) {
            return out;
        }
        Sum f = new Sum();
        f.inShape = x.shape();
        f.keptShape = kept.shape();
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {CpuKernels.expand(Tensor.wrap(g.data(), keptShape), inShape)};
    }
}
