package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;

/** Same values under a new shape (one dimension may be -1); shares storage with its input. */
public final class Reshape extends Function {
    private int[] inShape;

    /** x viewed with shape (one entry may be -1). */
    public static Tensor apply(Tensor x, int[] shape) {
        int[] target = resolve(x, shape);
        Tensor out = Tensor.wrap(x.data(), target);
        if (!recording(x)) {
            return out;
        }
        Reshape f = new Reshape();
        f.inShape = x.shape();
        return f.attach(out, x);
    }

    private static int[] resolve(Tensor x, int[] shape) {
        int[] s = shape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape: more than one -1 in " + Shape.str(shape));
                }
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("reshape: negative dimension in " + Shape.str(shape));
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || x.numel() % known != 0) {
                throw new IllegalArgumentException("reshape: cannot infer -1 in " + Shape.str(shape) + " for "
                        + x.numel() + " elements");
            }
            s[infer] = (int) (x.numel() / known);
            known *= s[infer];
        }
        if (known != x.numel()) {
            throw new IllegalArgumentException("reshape: " + Shape.str(x.shape()) + " (" + x.numel()
                    + " elements) cannot become " + Shape.str(shape));
        }
        return s;
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {Tensor.wrap(g.data(), inShape)};
    }
}
