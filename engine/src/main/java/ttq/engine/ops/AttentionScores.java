package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * Attention probabilities of every head in one op: P[b, h] = softmax(scale * Q_h K_h^T) over the
 * keys, keys at padded positions scored -1e9 first (as maskedFill then softmax: a row with every
 * key padded comes out uniform). q and k are [B, L, H * dh] as the projections write them, heads
 * side by side in a row, so no permute to [B, H, L, dh] is made; P is [B, H, L, L]. Replaces
 * matmul, scale, maskedFill and softmax (four ops and three [B, H, L, L] intermediates).
 * Backward: dS = P * (dP - rowsum(dP * P)) * scale (0 at padded keys), dQ_h = dS K_h,
 * dK_h = dS^T Q_h. Saves q, k and P.
 */
public final class AttentionScores extends Function {
    private int heads;
    private float scale;
    private float[] mask;

    /**
     * P [B, H, L, L] from q, k [B, L, H * dh]; padMask holds B * L values (any shape, e.g.
     * [B, 1, 1, L]), non-zero at padded keys, or is null.
     */
    public static Tensor apply(Tensor q, Tensor k, Tensor padMask, int heads, float scale) {
        if (q.rank() != 3 || !java.util.Arrays.equals(q.shape(), k.shape())) {
            throw new IllegalArgumentException("attentionScores: q and k must both be [batch, length, hidden], got "
                    + Shape.str(q.shape()) + " and " + Shape.str(k.shape()));
        }
        if (heads < 1 || q.dim(2) % heads != 0) {
            throw new IllegalArgumentException("attentionScores: hidden " + q.dim(2) + " does not split into " + heads + " heads");
        }
        int b = q.dim(0), l = q.dim(1);
        if (padMask != null && padMask.numel() != b * l) {
            throw new IllegalArgumentException("attentionScores: padding mask " + Shape.str(padMask.shape()) + " must hold batch x length = "
                    + b * l + " values");
        }
        float[] mask = padMask == null ? null : padMask.data();
        Tensor p = CpuKernels.attentionProbs(q, k, mask, heads, scale);
        if (!recording(q, k)) {
            return p;
        }
        AttentionScores f = new AttentionScores();
        f.heads = heads;
        f.scale = scale;
        f.mask = mask;
        f.save(q, k, p);
        return f.attach(p, q, k);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor[] d = CpuKernels.attentionProbsBackward(saved(0), saved(1), mask, heads, scale, saved(2), g);
        return new Tensor[] {needsGrad(0) ? d[0] : null, needsGrad(1) ? d[1] : null};
    }

    @Override
    protected void onRelease() {
        mask = null;
    }
}
