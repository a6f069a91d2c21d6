package ttq.engine.optim;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import ttq.engine.Tensor;
import ttq.kernels.Parallel;

/** Gradient clipping by global norm, as PyTorch's {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradientClipping {
    /** Elements per partial sum: fixed, so the norm does not depend on the number of cores. */
    private static final int BLOCK = 1 << 14;

    private GradientClipping() {
    }

    /**
     * The L2 norm of all gradients of {@code params} taken together, summed in double. Null
     * gradients are skipped and a tensor listed twice (tied weights) counts once. The result is
     * deterministic (independent of the number of cores).
     */
    public static double globalNorm(List<Tensor> params) {
        double sumSquares = 0;
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        for (Tensor p : params) {
            if (p.grad() != null && seen.put(p, Boolean.TRUE) == null) {
                sumSquares += sumSquares(p.grad().data());
            }
        }
        return Math.sqrt(sumSquares);
    }

    /**
     * Scales all gradients in place so that their global norm is at most {@code maxNorm}:
     * with {@code norm = globalNorm(params)} and {@code coef = maxNorm / (norm + 1e-6)}, every
     * gradient is multiplied by coef (rounded to float) when coef &lt; 1, and left alone otherwise.
     * When the norm is NaN or infinite nothing is changed (the optimizer's step then reports the
     * offending parameter).
     *
     * @param maxNorm the largest allowed norm, finite and &gt; 0
     * @return the global norm before clipping
     */
    public static double clipGlobalNorm(List<Tensor> params, float maxNorm) {
        if (!(maxNorm > 0f) || Float.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("clipGlobalNorm: maxNorm must be finite and > 0, got " + maxNorm);
        }
        double norm = globalNorm(params);
        if (!Double.isFinite(norm)) {
            return norm;
        }
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1.0) {
            float c = (float) coef;
            Map<Tensor, Boolean> seen = new IdentityHashMap<>();
            for (Tensor p : params) {
                if (p.grad() != null && seen.put(p, Boolean.TRUE) == null) {
                    float[] g = p.grad().data();
                    Parallel.forRange(g.length, (from, to) -> {
                        for (int j = from; j < to; j++) {
                            g[j] *= c;
                        }
                    });
                }
            }
        }
        return norm;
    }

    private static double sumSquares(float[] g) {
        int blocks = (g.length + BLOCK - 1) / BLOCK;
        double[] partial = new double[blocks];
        Parallel.forRows(blocks, BLOCK, (from, to) -> {
            for (int b = from; b < to; b++) {
                int end = Math.min(g.length, (b + 1) * BLOCK);
                double s = 0;
                for (int j = b * BLOCK; j < end; j++) {
                    double x = g[j];
                    s += x * x;
                }
                partial[b] = s;
            }
        });
        double total = 0;
        for (double s : partial) {
            total += s;
        }
        return total;
    }
}
