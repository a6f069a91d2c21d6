package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * base + src scattered along an axis: slice i of src is added at position index[i] (repeats add
 * up). Gradients: base gets g, src gets g gathered at the indices.
 */
public final class ScatterAdd extends Function {
    private int axis;
    private int[] index;

    /** base with src added at index along axis. */
    public static Tensor apply(Tensor base, int axis, int[] index, Tensor src) {
        int a = Shape.axis("scatterAdd", axis, base.rank());
        IndexSelect.checkIndices("scatterAdd", index, base.shape()[a]);
        int[] expect = base.shape();
        expect[a] = index.length;
        if (!java.util.Arrays.equals(expect, src.shape())) {
            throw new IllegalArgumentException("scatterAdd: src shape " + Shape.str(src.shape()) + ", expected "
                    + Shape.str(expect) + " for " + index.length + " indices into " + Shape.str(base.shape()));
        }
        Tensor out = CpuKernels.scatterAdd(base, a, index, src);
        if (!recording(base, src)) {
            return out;
        }
        ScatterAdd f = new ScatterAdd();
        f.axis = a;
        f.index = index.clone();
        return f.attach(out, base, src);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {needsGrad(0) ? g : null, needsGrad(1) ? CpuKernels.indexSelect(g, axis, index) : null};
    }
}
