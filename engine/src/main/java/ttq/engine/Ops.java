package ttq.engine;

import java.util.Random;
import ttq.engine.ops.Concat;
import ttq.engine.ops.CrossEntropy;
import ttq.engine.ops.IndexSelect;
import ttq.engine.ops.Normalize;
import ttq.engine.ops.ScatterAdd;

/**
 * Operations on several tensors or with extra arguments, in the style of
 * {@code torch.nn.functional}. Ops without a class of their own here are composed from primitives,
 * so their gradients come from the primitives' backward rules.
 */
public final class Ops {
    private Ops() {
    }

    /** Joins tensors along an axis. */
    public static Tensor concat(int axis, Tensor... xs) {
        return Concat.apply(axis, xs);
    }

    /** Slices of x at the given indices along an axis (embedding lookup with axis 0). */
    public static Tensor indexSelect(Tensor x, int axis, int... index) {
        return IndexSelect.apply(x, axis, index);
    }

    /** base plus src's slices added at the indices along an axis. */
    public static Tensor scatterAdd(Tensor base, int axis, int[] index, Tensor src) {
        return ScatterAdd.apply(base, axis, index, src);
    }

    /**
     * Pairwise tensor contraction (tensordot): sums a's axes {@code axesA} against b's
     * {@code axesB}; the result has a's free axes then b's free axes. Composed as permute +
     * reshape + one sgemm.
     */
    public static Tensor contract(Tensor a, Tensor b, int[] axesA, int[] axesB) {
        if (axesA.length != axesB.length) {
            throw new IllegalArgumentException("contract: " + axesA.length + " axes of a against " + axesB.length + " of b");
        }
        int ra = a.rank(), rb = b.rank();
        boolean[] inA = new boolean[ra], inB = new boolean[rb];
        int k = 1;
        for (int i = 0; i < axesA.length; i++) {
            int x = Shape.axis("contract", axesA[i], ra), y = Shape.axis("contract", axesB[i], rb);
            if (inA[x] || inB[y]) {
                throw new IllegalArgumentException("contract: axis repeated");
            }
            if (a.dim(x) != b.dim(y)) {
                throw new IllegalArgumentException("contract: a axis " + x + " (size " + a.dim(x) + ") vs b axis " + y
                        + " (size " + b.dim(y) + ")");
            }
            inA[x] = true;
            inB[y] = true;
            k *= a.dim(x);
        }
        int[] permA = new int[ra], permB = new int[rb];
        int[] freeShape = new int[ra + rb - 2 * axesA.length];
        int p = 0, fs = 0, m = 1, n = 1;
        for (int i = 0; i < ra; i++) {
            if (!inA[i]) {
                permA[p++] = i;
                freeShape[fs++] = a.dim(i);
                m *= a.dim(i);
            }
        }
        for (int i = 0; i < axesA.length; i++) {
            permA[p++] = Shape.axis("contract", axesA[i], ra);
        }
        p = 0;
        for (int i = 0; i < axesB.length; i++) {
            permB[p++] = Shape.axis("contract", axesB[i], rb);
        }
        for (int i = 0; i < rb; i++) {
            if (!inB[i]) {
                permB[p++] = i;
                freeShape[fs++] = b.dim(i);
                n *= b.dim(i);
            }
        }
        Tensor a2 = (isIdentity(permA) ? a : a.permute(permA)).reshape(m, k);
        Tensor b2 = (isIdentity(permB) ? b : b.permute(permB)).reshape(k, n);
        return a2.matmul(b2).reshape(freeShape);
    }

    private static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return true;
    }

    /**
     * Matrix product written into an existing tensor (like PyTorch's {@code out=}): for inference
     * loops and benchmarks that reuse buffers. It records no graph, so it refuses inputs that
     * require grad while grad mode is on. Batch axes must be equal or 1.
     */
    public static Tensor matmul(Tensor a, Tensor b, Tensor out) {
        if (Function.recording(a, b)) {
            throw new IllegalStateException("matmul into an output tensor records no gradient; use a.matmul(b), or run under GradMode.noGrad()");
        }
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul: both operands need rank >= 2, got " + Shape.str(a.shape()) + " and " + Shape.str(b.shape()));
        }
        return ttq.engine.backend.CpuKernels.matmul(a, false, b, false, out);
    }

    /** Layer norm over the last axis with optional affine weight and bias (null to omit). */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        Tensor y = Normalize.apply(x, eps);
        if (weight != null) {
            y = y.mul(weight);
        }
        if (bias != null) {
            y = y.add(bias);
        }
        return y;
    }

    /**
     * Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p).
     * The mask comes from the given generator (seed it for reproducible runs); identity when not
     * training or p = 0.
     */
    public static Tensor dropout(Tensor x, float p, boolean training, Random random) {
        if (p < 0f || p >= 1f) {
            throw new IllegalArgumentException("dropout: p must be in [0, 1), got " + p);
        }
        if (!training || p == 0f) {
            return x;
        }
        float keep = 1f / (1f - p);
        float[] mask = new float[x.numel()];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = random.nextFloat() >= p ? keep : 0f;
        }
        return x.mul(Tensor.wrap(mask, x.shape()));
    }

    /** Mean cross-entropy of logits [n, classes] against targets; rows with target == ignoreIndex are skipped. */
    public static Tensor crossEntropy(Tensor logits, int[] targets, int ignoreIndex) {
        return CrossEntropy.apply(logits, targets, ignoreIndex);
    }

    /** Mean squared error. */
    public static Tensor mse(Tensor prediction, Tensor target) {
        if (!java.util.Arrays.equals(prediction.shape(), target.shape())) {
            throw new IllegalArgumentException("mse: shapes " + Shape.str(prediction.shape()) + " and "
                    + Shape.str(target.shape()) + " differ");
        }
        return prediction.sub(target).pow(2f).mean();
    }

    /**
     * Cosine similarity along an axis: sum(a*b) / sqrt(sum(a^2) * sum(b^2) + eps^2). The eps
     * under the root keeps the gradient finite for zero vectors.
     */
    public static Tensor cosineSimilarity(Tensor a, Tensor b, int axis, float eps) {
        Tensor dot = a.mul(b).sum(false, axis);
        Tensor na = a.mul(a).sum(false, axis);
        Tensor nb = b.mul(b).sum(false, axis);
        return dot.div(na.mul(nb).add(eps * eps).sqrt());
    }

    /**
     * x W + b for a weight stored [in, out] (the transpose of PyTorch's layout, so the product
     * needs no copy); bias may be null.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Tensor y = x.matmul(weight);
        return bias == null ? y : y.add(bias);
    }
}
