package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Log-softmax over the last axis (fused, log-sum-exp stabilised). */
public final class LogSoftmax extends Function {
    /** Log-softmax of x over the last axis. */
    public static Tensor apply(Tensor x) {
        Tensor out = CpuKernels.softmaxLastAxis(x, true);
        if (!recording(x)) {
            return out;
        }
        LogSoftmax f = new LogSoftmax();
        f.save(out);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor s = saved(0);
        return new Tensor[] {CpuKernels.logSoftmaxBackward(s, g)};
    }
}
