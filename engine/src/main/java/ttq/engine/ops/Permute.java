package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/** Reorders axes (result axis i = input axis perm[i]); backward applies the inverse permutation. */
public final class Permute extends Function {
    private int[] inverse;

    /** x with axes reordered by perm. */
    public static Tensor apply(Tensor x, int[] perm) {
        int r = x.rank();
        if (perm.length != r) {
            throw new IllegalArgumentException("permute: " + perm.length + " axes given for rank " + r);
        }
        int[] p = new int[r];
        int[] inv = new int[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            p[i] = Shape.axis("permute", perm[i], r);
            if (seen[p[i]]) {
                throw new IllegalArgumentException("permute: axis " + perm[i] + " repeated in " + Shape.str(perm));
            }
            seen[p[i]] = true;
            inv[p[i]] = i;
        }
        Tensor out = CpuKernels.permute(x, p);
        if (!recording(x)) {
            return out;
        }
        Permute f = new Permute();
        f.inverse = inv;
        return f.attach(out, x);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {CpuKernels.permute(g, inverse)};
    }
}
