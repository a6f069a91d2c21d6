package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Elementwise a + b with broadcasting; each gradient is summed back to its input's shape. */
public final class Add extends Function {
    private int[] shapeA, shapeB;

    /** a + b with broadcasting. */
    public static Tensor apply(Tensor a, Tensor b) {
        Tensor out = CpuKernels.binary(CpuKernels.Binary.ADD, a, b);
        if (!recording(a, b)) {
            return out;
        }
        Add f = new Add();
        f.shapeA = a.shape();
        f.shapeB = b.shape();
        return f.attach(out, a, b);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {
            needsGrad(0) ? g.sumTo(shapeA) : null,
            needsGrad(1) ? g.sumTo(shapeB) : null};
    }
}
