package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * Maximum over axes. The gradient goes to the positions holding the maximum; tied positions
 * share it equally (a valid subgradient, the same as PyTorch's amax).
 */
public final class Max extends Function {
    private int[] axes, keptShape;

    /** Maximum of x over axes, keeping them as size 1 if keepDim. */
    public static Tensor apply(Tensor x, int[] axes, boolean keepDim) {
        int[] ax = Shape.axes("max", axes, x.rank());
        for (int a : ax) {
            if (x.shape()[a] == 0) {
                throw new IllegalArgumentException("max: axis " + a + " of shape " + Shape.str(x.shape()) + " is empty");
            }
        }
        Tensor kept = CpuKernels.maxKeepDim(x, ax);
        Tensor out = keepDim ? kept : Tensor.wrap(kept.data(), Shape.reduced(x.shape(), ax, false));
        if (!recording(x)) {
            return out;
        }
        Max f = new Max();
        f.axes = ax;
        f.keptShape = kept.shape();
        f.save(x, kept);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor x = saved(0), kept = saved(1);
        Tensor mask = CpuKernels.binary(CpuKernels.Binary.MAX_MASK, x, kept);
        Tensor count = CpuKernels.sumKeepDim(mask, axes);
        Tensor share = Tensor.wrap(g.data(), keptShape).div(count);
        return new Tensor[] {mask.mul(share)};
    }
}
