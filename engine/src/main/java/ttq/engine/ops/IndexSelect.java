package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * Picks slices along an axis by index (embedding lookup when axis = 0); indices may repeat.
 * Backward scatter-adds the gradient into zeros. Indices are validated before any copy.
 */
public final class IndexSelect extends Function {
    private int axis;
    private int[] index, inShape;

    /** The slices of x at index along axis. */
    public static Tensor apply(Tensor x, int axis, int[] index) {
        int a = Shape.axis("indexSelect", axis, x.rank());
        checkIndices("indexSelect", index, x.shape()[a]);
        Tensor out = CpuKernels.indexSelect(x, a, index);
        if (!recording(x)) {
            return out;
        }
        IndexSelect f = new IndexSelect();
        f.axis = a;
        f.index = index.clone();
        f.inShape = x.shape();
        return f.attach(out, x);
    }

    static void checkIndices(String op, int[] index, int size) {
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= size) {
                throw new IndexOutOfBoundsException(op + ": index " + index[i] + " at position " + i
                        + " out of range [0, " + size + ")");
            }
        }
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {CpuKernels.scatterAdd(Tensor.zeros(inShape), axis, index, g)};
    }
}
