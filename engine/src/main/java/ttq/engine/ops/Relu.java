package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** max(x, 0); gradient 0 at x = 0 (as PyTorch). */
public final class Relu extends Function {
    /** max(x, 0) elementwise. */
    public static Tensor apply(Tensor x) {
        Tensor out = CpuKernels.unary(CpuKernels.Unary.RELU, x);
        if (!recording(x)) {
            return out;
        }
        Relu f = new Relu();
        f.save(x);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor s = saved(0);
        return new Tensor[] {g.mul(CpuKernels.unary(CpuKernels.Unary.RELU_MASK, s))};
    }
}
