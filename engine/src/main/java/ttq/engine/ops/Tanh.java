package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Hyperbolic tangent; dtanh = 1 - tanh^2. */
public final class Tanh extends Function {
    /** tanh x elementwise. */
    public static Tensor apply(Tensor x) {
        Tensor out = CpuKernels.unary(CpuKernels.Unary.TANH, x);
        if (!recording(x)) {
            return out;
        }
        Tanh f = new Tanh();
        f.save(out);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor s = saved(0);
        return new Tensor[] {g.mul(s.mul(s).neg().add(1f))};
    }
}
