package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Logistic sigmoid; dsigma = sigma (1 - sigma). */
public final class Sigmoid extends Function {
    /** Logistic sigmoid of x. */
    public static Tensor apply(Tensor x) {
        Tensor out = CpuKernels.unary(CpuKernels.Unary.SIGMOID, x);
        if (!recording(x)) {
            return out;
        }
        Sigmoid f = new Sigmoid();
        f.save(out);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor s = saved(0);
        return new Tensor[] {g.mul(s.mul(s.neg().add(1f)))};
    }
}
