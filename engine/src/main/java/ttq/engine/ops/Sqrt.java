package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Square root; backward reuses the output. */
public final class Sqrt extends Function {
    /** Square root of x elementwise. */
    public static Tensor apply(Tensor x) {
        Tensor out = CpuKernels.unary(CpuKernels.Unary.SQRT, x);
        if (!recording(x)) {
            return out;
        }
        Sqrt f = new Sqrt();
        f.save(out);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor s = saved(0);
        return new Tensor[] {g.div(s).mul(0.5f)};
    }
}
