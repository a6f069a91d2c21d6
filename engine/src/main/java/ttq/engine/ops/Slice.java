package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Elements [from, to) along one axis (a copy); backward writes the gradient into zeros. */
public final class Slice extends Function {
    private int axis, from;
    private int[] inShape;

    /** Elements from (inclusive) to to (exclusive) of x along axis. */
    public static Tensor apply(Tensor x, int axis, int from, int to) {
        int a = Shape.axis("slice", axis, x.rank());
        int size = x.shape()[a];
        if (from < 0 || to > size || from > to) {
            throw new IllegalArgumentException("slice: range [" + from + ", " + to + ") out of axis " + axis
                    + " of size " + size);
        }
        int[] shape = x.shape();
        shape[a] = to - from;
        Tensor out = Tensor.zeros(shape);
        CpuKernels.copyAlongAxis(x, from, out, 0, to - from, a, false);
        if (!recording(x)) {
            return out;
        }
        Slice f = new Slice();
        f.axis = a;
        f.from = from;
        f.inShape = x.shape();
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor gx = Tensor.zeros(inShape);
        CpuKernels.copyAlongAxis(g, 0, gx, from, g.shape()[axis], axis, false);
        return new Tensor[] {gx};
    }
}
