package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * Layer norm with gain and bias, and optionally the residual add before it, in one op:
 * y = gamma * xhat + beta, xhat = (s - mean) / sqrt(var + eps) over the last axis, s = x + residual
 * (or x). Replaces add, normalize, mul and add (and their three intermediates). Backward, with
 * g = dy * gamma: ds = rstd * (g - mean(g) - xhat * mean(g * xhat)), the same for x and residual;
 * dgamma = sum over rows of dy * xhat, dbeta = sum of dy. Saves xhat, 1/std per row and gamma.
 */
public final class FusedLayerNorm extends Function {
    private float[] rstd;
    private boolean residual;

    /** gamma * norm(x + residual) + beta over the last axis; residual may be null. */
    public static Tensor apply(Tensor x, Tensor residual, Tensor gamma, Tensor beta, float eps) {
        int d = x.rank() == 0 ? 0 : x.dim(-1);
        if (d == 0) {
            throw new IllegalArgumentException("layerNorm: needs a non-empty last axis, got shape " + Shape.str(x.shape()));
        }
        if (residual != null && !java.util.Arrays.equals(x.shape(), residual.shape())) {
            throw new IllegalArgumentException("layerNorm: residual " + Shape.str(residual.shape()) + " must have the input's shape "
                    + Shape.str(x.shape()));
        }
        if (gamma.numel() != d || gamma.rank() != 1 || beta.numel() != d || beta.rank() != 1) {
            throw new IllegalArgumentException("layerNorm: gain " + Shape.str(gamma.shape()) + " and bias " + Shape.str(beta.shape())
                    + " must both be [" + d + "]");
        }
        float[] rstd = new float[x.numel() / d];
        Tensor[] yh = CpuKernels.layerNorm(x, residual, gamma, beta, eps, rstd);
        boolean rec = residual == null ? recording(x, gamma, beta) : recording(x, residual, gamma, beta);
        if (!rec) {
            return yh[0];
        }
        FusedLayerNorm f = new FusedLayerNorm();
        f.rstd = rstd;
        f.residual = residual != null;
        f.save(yh[1], gamma);
        return residual == null ? f.attach(yh[0], x, gamma, beta) : f.attach(yh[0], x, residual, gamma, beta);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor[] d = CpuKernels.layerNormBackward(saved(0), rstd, saved(1), g);
        int p = residual ? 2 : 1;
        Tensor[] out = new Tensor[p + 2];
        for (int i = 0; i < p; i++) {
            out[i] = needsGrad(i) ? d[0] : null;
        }
        out[p] = needsGrad(p) ? d[1] : null;
        out[p + 1] = needsGrad(p + 1) ? d[2] : null;
        return out;
    }

    @Override
    protected void onRelease() {
        rstd = null;
    }
}
