package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** x * scale + shift with scalar constants: scalar add/sub/mul/div and negation. */
public final class Affine extends Function {
    private float scale;

    /** x * scale + shift. */
    public static Tensor apply(Tensor x, float scale, float shift) {
        Tensor out = CpuKernels.affine(x, scale, shift);
        if (!recording(x)) {
            return out;
        }
        Affine f = new Affine();
        f.scale = scale;
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {g.mul(scale)};
    }
}
