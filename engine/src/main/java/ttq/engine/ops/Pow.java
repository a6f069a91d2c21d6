package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** x^p for a constant exponent p; d/dx = p x^(p-1). */
public final class Pow extends Function {
    private float p;

    /** x^p elementwise. */
    public static Tensor apply(Tensor x, float p) {
        Tensor out = CpuKernels.pow(x, p);
        if (!recording(x)) {
            return out;
        }
        Pow f = new Pow();
        f.p = p;
        f.save(x);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor x = saved(0);
        return new Tensor[] {g.mul(CpuKernels.pow(x, p - 1f)).mul(p)};
    }
}
