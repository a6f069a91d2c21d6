package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** e^x; backward reuses the output. */
public final class Exp extends Function {
    /** e^x elementwise. */
    public static Tensor apply(Tensor x) {
        Tensor out = CpuKernels.unary(CpuKernels.Unary.EXP, x);
        if (!recording(x)) {
            return out;
        }
        Exp f = new Exp();
        f.save(out);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor s = saved(0);
        return new Tensor[] {g.mul(s)};
    }
}
