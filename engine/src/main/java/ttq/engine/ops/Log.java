package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Natural logarithm. */
public final class Log extends Function {
    /** ln x elementwise. */
    public static Tensor apply(Tensor x) {
        Tensor out = CpuKernels.unary(CpuKernels.Unary.LOG, x);
        if (!recording(x)) {
            return out;
        }
        Log f = new Log();
        f.save(x);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor s = saved(0);
        return new Tensor[] {g.div(s)};
    }
}
