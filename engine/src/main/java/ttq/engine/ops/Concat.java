package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Joins tensors along an axis; backward hands each input its slice of the gradient. */
public final class Concat extends Function {
    private int axis;
    private int[] sizes;

    /** The inputs joined along axis. */
    public static Tensor apply(int axis, Tensor... xs) {
        if (xs.length == 0) {
            throw new IllegalArgumentException("concat: no tensors");
        }
        int r = xs[0].rank();
        int a = Shape.axis("concat", axis, r);
        int[] shape = xs[0].shape();
        int total = 0;
        int[] sizes = new int[xs.length];
        for (int i = 0; i < xs.length; i++) {
            int[] s = xs[i].shape();
            if (s.length != r) {
                throw new IllegalArgumentException("concat: tensor " + i + " has rank " + s.length + ", tensor 0 has " + r);
            }
            for (int d = 0; d < r; d++) {
                if (d != a && s[d] != shape[d]) {
                    throw new IllegalArgumentException("concat: tensor " + i + " shape " + Shape.str(s)
                            + " differs from " + Shape.str(shape) + " outside axis " + a);
                }
            }
            sizes[i] = s[a];
            total += s[a];
        }
        shape[a] = total;
        Tensor out = Tensor.zeros(shape);
        int at = 0;
        for (int i = 0; i < xs.length; i++) {
            CpuKernels.copyAlongAxis(xs[i], 0, out, at, sizes[i], a, false);
            at += sizes[i];
        }
        if (!recording(xs)) {
            return out;
        }
        Concat f = new Concat();
        f.axis = a;
        f.sizes = sizes;
        return f.attach(out, xs.clone());
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor[] grads = new Tensor[sizes.length];
        int at = 0;
        for (int i = 0; i < sizes.length; i++) {
            if (needsGrad(i)) {
                int[] s = g.shape();
                s[axis] = sizes[i];
                grads[i] = Tensor.zeros(s);
                CpuKernels.copyAlongAxis(g, at, grads[i], 0, sizes[i], axis, false);
            }
            at += sizes[i];
        }
        return grads;
    }
}
