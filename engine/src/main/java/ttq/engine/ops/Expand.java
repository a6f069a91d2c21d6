package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Broadcasts to a larger shape (copying); backward sums the gradient back. */
public final class Expand extends Function {
    private int[] inShape;

    /** x broadcast to shape. */
    public static Tensor apply(Tensor x, int[] shape) {
        int[] b = Shape.broadcast("expand", x.shape(), shape);
        if (!java.util.Arrays.equals(b, shape)) {
            throw new IllegalArgumentException("expand: " + Shape.str(x.shape()) + " cannot expand to " + Shape.str(shape));
        }
        Tensor out = CpuKernels.expand(x, shape);
        if (!recording(x)) {
            return out;
        }
        Expand f = new Expand();
        f.inShape = x.shape();
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {CpuKernels.sumTo(g, inShape)};
    }
}
