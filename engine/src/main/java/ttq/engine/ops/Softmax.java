package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Softmax over the last axis (fused, max-subtracted); other axes go through a transpose. */
public final class Softmax extends Function {
    /** Softmax of x over the last axis. */
    public static Tensor apply(Tensor x) {
        Tensor out = CpuKernels.softmaxLastAxis(x, false);
        if (!recording(x)) {
            return out;
        }
        Softmax f = new Softmax();
        f.save(out);
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor s = saved(0);
        return new Tensor[] {CpuKernels.softmaxBackward(s, g)};
    }
}
