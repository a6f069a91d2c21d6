package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Elementwise a * b with broadcasting. */
public final class Mul extends Function {
    /** a * b with broadcasting. */
    public static Tensor apply(Tensor a, Tensor b) {
        Tensor out = CpuKernels.binary(CpuKernels.Binary.MUL, a, b);
        if (!recording(a, b)) {
            return out;
        }
        Mul f = new Mul();
        f.save(a, b);
        return f.attach(out, a, b);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor a = saved(0), b = saved(1);
        return new Tensor[] {
            needsGrad(0) ? g.mul(b).sumTo(a.shape()) : null,
            needsGrad(1) ? g.mul(a).sumTo(b.shape()) : null};
    }
}
