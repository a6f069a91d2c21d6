package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** GELU, erf form, by the fused native kernel (forward and backward). */
public final class Gelu extends Function {
    /** GELU of x elementwise. */
    public static Tensor apply(Tensor x) {
        Tensor out = CpuKernels.unary(CpuKernels.Unary.GELU, x);
        if (!recording(x)) {
            return out;
        }
        Gelu f = new Gelu();
        f.save(x);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor s = saved(0);
        return new Tensor[] {CpuKernels.geluBackward(s, g)};
    }
}
