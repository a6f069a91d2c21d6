package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * The attention context of every head in one op: out[b, i, h] = sum_j P[b, h, i, j] V_h[b, j] with
 * p [B, H, L, L] and v [B, L, H * dh], heads merged back side by side in each row of out
 * [B, L, H * dh] (replaces a batched matmul and two permutes). Backward: dP = dOut_h V_h^T,
 * dV_h = P^T dOut_h. Saves p and v.
 */
public final class AttentionContext extends Function {
    private int heads;

    /** Context [B, L, H * dh] of probabilities p [B, H, L, L] over values v [B, L, H * dh]. */
    public static Tensor apply(Tensor p, Tensor v, int heads) {
        if (v.rank() != 3 || heads < 1 || v.dim(2) % heads != 0) {
            throw new IllegalArgumentException("attentionContext: v must be [batch, length, hidden] with hidden split into " + heads
                    + " heads, got " + Shape.str(v.shape()));
        }
        int b = v.dim(0), l = v.dim(1);
        if (!java.util.Arrays.equals(p.shape(), new int[] {b, heads, l, l})) {
            throw new IllegalArgumentException("attentionContext: probabilities " + Shape.str(p.shape()) + " must be [" + b + ", " + heads
                    + ", " + l + ", " + l + "] for values " + Shape.str(v.shape()));
        }
        Tensor out = CpuKernels.attentionContext(p, v, heads);
        if (!recording(p, v)) {
            return out;
        }
        AttentionContext f = new AttentionContext();
        f.heads = heads;
        f.save(p, v);
        return f.attach(out, p, v);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor[] d = CpuKernels.attentionContextBackward(saved(0), saved(1), g, heads);
        return new Tensor[] {needsGrad(0) ? d[0] : null, needsGrad(1) ? d[1] : null};
    }
}
