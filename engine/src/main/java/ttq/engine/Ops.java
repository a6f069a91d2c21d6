package ttq.engine;

import ttq.engine.ops.Concat;
import ttq.engine.ops.CrossEntropy;
import ttq.engine.ops.IndexSelect;
import ttq.engine.ops.Matmul;
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
     * Matrix product op(a) op(b) where op transposes the last two axes when asked: the transpose is
     * a GEMM flag, never a copy. Batch axes broadcast as in {@link Tensor#matmul}.
     */
    public static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        return Matmul.apply(a, transA, b, transB);
    }

    /**
     * Pairwise tensor contraction (tensordot): sums a's axes {@code axesA} against b's
     * {@code axesB}; the result has a's free axes then b's free axes, each in their original order.
     * Composed as reshape + one sgemm; a permute (copy) is added only when an operand's contracted
     * axes are not already contiguous at its start or end in a usable order.
     */
    public static Tensor contract(Tensor a, Tensor b, int[] axesA, int[] axesB) {
        if (axesA.length != axesB.length) {
            throw new IllegalArgumentException("contract: " + axesA.length + " axes of a against " + axesB.length + " of b");
        }
        int ra = a.rank(), rb = b.rank(), c = axesA.length;
        int[] xa = new int[c], xb = new int[c];
        boolean[] inA = new boolean[ra], inB = new boolean[rb];
        for (int i = 0; i < c; i++) {
            xa[i] = Shape.axis("contract", axesA[i], ra);
            xb[i] = Shape.axis("contract", axesB[i], rb);
            if (inA[xa[i]] || inB[xb[i]]) {
                throw new IllegalArgumentException("contract: axis repeated in " + java.util.Arrays.toString(axesA)
                        + " / " + java.util.Arrays.toString(axesB));
            }
            if (a.dim(xa[i]) != b.dim(xb[i])) {
                throw new IllegalArgumentException("contract: a axis " + xa[i] + " (size " + a.dim(xa[i]) + ") vs b axis "
                        + xb[i] + " (size " + b.dim(xb[i]) + ")");
            }
            inA[xa[i]] = true;
            inB[xb[i]] = true;
        }
        int[] freeA = free(inA), freeB = free(inB);
        int m = 1, n = 1, k = 1;
        int[] outShape = new int[freeA.length + freeB.length];
        for (int i = 0; i < freeA.length; i++) {
            outShape[i] = a.dim(freeA[i]);
            m *= outShape[i];
        }
        for (int i = 0; i < freeB.length; i++) {
            outShape[freeA.length + i] = b.dim(freeB[i]);
            n *= outShape[freeA.length + i];
        }
        for (int i = 0; i < c; i++) {
            k *= a.dim(xa[i]);
        }
        // order the contracted pairs as they lie in a, or else as they lie in b: whichever needs fewer copies
        Layout best = null;
        for (int[] order : new int[][] {sortedBy(xa), sortedBy(xb)}) {
            Layout l = new Layout(pick(xa, order), pick(xb, order), freeA, freeB);
            if (best == null || l.copies() < best.copies()) {
                best = l;
            }
        }
        Tensor a2, b2;
        boolean tA = false, tB = false;
        if (best.aFreeFirst) {
            a2 = a.reshape(m, k);
        } else if (best.aContractedFirst) {
            a2 = a.reshape(k, m);
            tA = true;
        } else {
            a2 = a.permute(concat(freeA, best.ka)).reshape(m, k);
        }
        if (best.bContractedFirst) {
            b2 = b.reshape(k, n);
        } else if (best.bFreeFirst) {
            b2 = b.reshape(n, k);
            tB = true;
        } else {
            b2 = b.permute(concat(best.kb, freeB)).reshape(k, n);
        }
        return Matmul.apply(a2, tA, b2, tB).reshape(outShape);
    }

    /** How the operands of a contraction lie in memory for one ordering of the contracted pairs. */
    private static final class Layout {
        final int[] ka, kb;
        final boolean aFreeFirst, aContractedFirst, bFreeFirst, bContractedFirst;

        Layout(int[] ka, int[] kb, int[] freeA, int[] freeB) {
            this.ka = ka;
            this.kb = kb;
            aFreeFirst = isIdentity(concat(freeA, ka));
            aContractedFirst = isIdentity(concat(ka, freeA));
            bContractedFirst = isIdentity(concat(kb, freeB));
            bFreeFirst = isIdentity(concat(freeB, kb));
        }

        int copies() {
            return (aFreeFirst || aContractedFirst ? 0 : 1) + (bFreeFirst || bContractedFirst ? 0 : 1);
        }
    }

    private static int[] free(boolean[] contracted) {
        int n = 0;
        for (boolean x : contracted) {
            n += x ? 0 : 1;
        }
        int[] out = new int[n];
        for (int i = 0, j = 0; i < contracted.length; i++) {
            if (!contracted[i]) {
                out[j++] = i;
            }
        }
        return out;
    }

    /** Indices 0..n-1 sorted by the given keys. */
    private static int[] sortedBy(int[] keys) {
        Integer[] idx = new Integer[keys.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (x, y) -> Integer.compare(keys[x], keys[y]));
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    private static int[] pick(int[] values, int[] order) {
        int[] out = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            out[i] = values[order[i]];
        }
        return out;
    }

    private static int[] concat(int[] x, int[] y) {
        int[] out = java.util.Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
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

    /**
     * y = (x V^T) U^T + b through a rank-r bottleneck (x [B, N], V [r, N], U [M, r], bias [M] or
     * null), fused: see {@link ttq.engine.ops.FactoredLinear}.
     */
    public static Tensor factoredLinear(Tensor x, Tensor v, Tensor u, Tensor bias) {
        return ttq.engine.ops.FactoredLinear.apply(x, v, u, bias);
    }

    /**
     * Learned-scale symmetric fake quantization to {@code bits} bits with straight-through
     * gradients (see {@link ttq.engine.ops.LearnedScaleQuantize}); gradScale multiplies the scale's
     * gradient (1, or LSQ's 1/sqrt(N Q_p)).
     */
    public static Tensor quantize(Tensor x, Tensor scale, int bits, float gradScale) {
        return ttq.engine.ops.LearnedScaleQuantize.apply(x, scale, bits, gradScale);
    }

    /** Ternary weights with a straight-through gradient (see {@link ttq.engine.ops.TernaryQuantize}). */
    public static Tensor ternary(Tensor w) {
        return ttq.engine.ops.TernaryQuantize.apply(w);
    }

    /** Binary weights with a straight-through gradient (see {@link ttq.engine.ops.BinaryQuantize}). */
    public static Tensor binary(Tensor w) {
        return ttq.engine.ops.BinaryQuantize.apply(w);
    }

    /**
     * Layer norm over the last axis with optional affine weight and bias (null to omit); with both,
     * one fused op ({@link ttq.engine.ops.FusedLayerNorm}).
     */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        if (weight != null && bias != null) {
            return ttq.engine.ops.FusedLayerNorm.apply(x, null, weight, bias, eps);
        }
        Tensor y = Normalize.apply(x, eps);
        if (weight != null) {
            y = y.mul(weight);
        }
        if (bias != null) {
            y = y.add(bias);
        }
        return y;
    }

    /** Q(GELU(x), scale, bits) with one learned scale, in one op ({@link ttq.engine.ops.GeluQuantize}). */
    public static Tensor geluQuantize(Tensor x, Tensor scale, int bits, float gradScale) {
        return ttq.engine.ops.GeluQuantize.apply(x, scale, bits, gradScale);
    }

    /** weight * norm(x + residual) + bias over the last axis, in one op ({@link ttq.engine.ops.FusedLayerNorm}). */
    public static Tensor addLayerNorm(Tensor x, Tensor residual, Tensor weight, Tensor bias, float eps) {
        return ttq.engine.ops.FusedLayerNorm.apply(x, residual, weight, bias, eps);
    }

    /**
     * Attention probabilities of all heads, softmax(scale * Q_h K_h^T) with padded keys masked, as
     * [B, H, L, L] from q, k [B, L, H * dh] ({@link ttq.engine.ops.AttentionScores}); padMask has
     * B * L values, non-zero at padding, or is null.
     */
    public static Tensor attentionScores(Tensor q, Tensor k, Tensor padMask, int heads, float scale) {
        return ttq.engine.ops.AttentionScores.apply(q, k, padMask, heads, scale);
    }

    /** Per-head context P_h V_h merged into [B, L, H * dh] ({@link ttq.engine.ops.AttentionContext}). */
    public static Tensor attentionContext(Tensor p, Tensor v, int heads) {
        return ttq.engine.ops.AttentionContext.apply(p, v, heads);
    }

    /** Mask elements per dropout generator (chunks are filled in parallel, each from its own seed). */
    static final int DROPOUT_CHUNK = 1 << 14;

    /**
     * Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p).
     * The mask comes from the given generator (seed it for reproducible runs); identity when not
     * training or p = 0.
     */
    public static Tensor dropout(Tensor x, float p, boolean training, java.util.random.RandomGenerator random) {
        if (p < 0f || p >= 1f) {
            throw new IllegalArgumentException("dropout: p must be in [0, 1), got " + p);
        }
        if (!training || p == 0f) {
            return x;
        }
        float keep = 1f / (1f - p);
        float[] mask = StepScope.uninitialized(x.numel());
        // Fixed chunks, each with its own generator seeded in order from the caller's: the same mask
        // whatever thread fills which chunk. Two 24-bit uniforms u = k / 2^24 per 64-bit draw, kept when
        // u >= p, i.e. k >= ceil(p 2^24) (exact: scaling by 2^24 is exact in float).
        int chunks = (mask.length + DROPOUT_CHUNK - 1) / DROPOUT_CHUNK;
        long[] seeds = new long[chunks];
        for (int c = 0; c < chunks; c++) {
            seeds[c] = random.nextLong();
        }
        long threshold = (long) Math.ceil((double) p * (1 << 24));
        ttq.kernels.Parallel.forRows(chunks, DROPOUT_CHUNK, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                java.util.SplittableRandom r = new java.util.SplittableRandom(seeds[c]);
                int from = c * DROPOUT_CHUNK, to = Math.min(mask.length, from + DROPOUT_CHUNK), i = from;
                for (; i + 2 <= to; i += 2) {
                    long bits = r.nextLong();
                    mask[i] = (bits >>> 40) >= threshold ? keep : 0f;
                    mask[i + 1] = ((bits >>> 16) & 0xFFFFFF) >= threshold ? keep : 0f;
                }
                if (i < to) {
                    mask[i] = (r.nextLong() >>> 40) >= threshold ? keep : 0f;
                }
            }
        });
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
