package ttq.engine.backend;

import java.util.Arrays;
import ttq.engine.Shape;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.kernels.Blas;
import ttq.kernels.FusedKernels;
import ttq.kernels.Parallel;
import ttq.kernels.TrainingKernels;

/**
 * The CPU compute kernels behind the engine's ops: plain Java loops (split over cores when large),
 * OpenBLAS for GEMM and our native fused kernels. Kernels take and return tensors that never
 * record gradients; gradient rules live in the op classes and only call ops or these kernels.
 */
public final class CpuKernels {
    private CpuKernels() {
    }

    /** Elementwise binary operations with broadcasting. */
    public enum Binary { ADD, SUB, MUL, DIV, MAX_MASK }

    /** Elementwise unary operations. */
    public enum Unary { NEG, EXP, LOG, SQRT, TANH, SIGMOID, RELU, GELU, RELU_MASK, ABS, SIGN }

    // ---------------------------------------------------------------- elementwise

    /** Elementwise binary op with NumPy broadcasting into a new tensor (no graph recording). */
    public static Tensor binary(Binary op, Tensor a, Tensor b) {
        int[] shape = Shape.broadcast(op.name().toLowerCase(), a.shape(), b.shape());
        float[] x = a.data(), y = b.data();
        float[] out = StepScope.uninitialized(Shape.numel(shape)); // every path writes every element
        if (Arrays.equals(a.shape(), shape) && Arrays.equals(b.shape(), shape)) {
            Parallel.forRange(out.length, (from, to) -> binaryRun(op, x, from, 1, y, from, 1, out, from, to - from));
        } else if (b.numel() == 1 && Arrays.equals(a.shape(), shape)) {
            Parallel.forRange(out.length, (from, to) -> binaryRun(op, x, from, 1, y, 0, 0, out, from, to - from));
        } else {
            StridedLoop it = new StridedLoop(shape, Shape.broadcastStrides(a.shape(), shape),
                    Shape.broadcastStrides(b.shape(), shape), Shape.strides(shape));
            if (!it.empty) {
                do {
                    binaryRun(op, x, it.offset[0], it.innerStride[0], y, it.offset[1], it.innerStride[1],
                            out, it.offset[2], it.inner);
                } while (it.next());
            }
        }
        return Tensor.wrap(out, shape);
    }

    private static void binaryRun(Binary op, float[] x, int ox, int sx, float[] y, int oy, int sy, float[] out, int oo, int n) {
        if (sx == 1 && sy == 1 && op != Binary.MAX_MASK) {
            binaryContiguous(op, x, ox, y, oy, out, oo, n);
            return;
        }
        switch (op) {
            case ADD:
                for (int j = 0; j < n; j++) {
                    out[oo + j] = x[ox + j * sx] + y[oy + j * sy];
                }
                break;
            case SUB:
                for (int j = 0; j < n; j++) {
                    out[oo + j] = x[ox + j * sx] - y[oy + j * sy];
                }
                break;
            case MUL:
                for (int j = 0; j < n; j++) {
                    out[oo + j] = x[ox + j * sx] * y[oy + j * sy];
                }
                break;
            case DIV:
                for (int j = 0; j < n; j++) {
                    out[oo + j] = x[ox + j * sx] / y[oy + j * sy];
                }
                break;
            case MAX_MASK: // 1 where x equals y (the broadcast max), used to route max gradients
                for (int j = 0; j < n; j++) {
                    out[oo + j] = x[ox + j * sx] == y[oy + j * sy] ? 1f : 0f;
                }
                break;
            default:
                throw new AssertionError(op);
        }
    }

    // Unit strides in loops of their own: with the strides as variables C2 left the general loops
    // scalar, and these are most of the elementwise work of a training step (2026-11-27 profile).
    private static void binaryContiguous(Binary op, float[] x, int ox, float[] y, int oy, float[] out, int oo, int n) {
        switch (op) {
            case ADD:
                for (int j = 0; j < n; j++) {
                    out[oo + j] = x[ox + j] + y[oy + j];
                }
                break;
            case SUB:
                for (int j = 0; j < n; j++) {
                    out[oo + j] = x[ox + j] - y[oy + j];
                }
                break;
            case MUL:
                for (int j = 0; j < n; j++) {
                    out[oo + j] = x[ox + j] * y[oy + j];
                }
                break;
            case DIV:
                for (int j = 0; j < n; j++) {
                    out[oo + j] = x[ox + j] / y[oy + j];
                }
                break;
            default:
                throw new AssertionError(op);
        }
    }

    /** Elementwise unary op into a new tensor (no graph recording). */
    public static Tensor unary(Unary op, Tensor a) {
        float[] x = a.data();
        float[] out = StepScope.uninitialized(x.length);
        if (op == Unary.GELU) {
            FusedKernels.geluForward(x, out, x.length);
        } else {
            Parallel.forRange(x.length, (from, to) -> unaryRun(op, x, out, from, to));
        }
        return Tensor.wrap(out, a.shape());
    }

    private static void unaryRun(Unary op, float[] x, float[] out, int from, int to) {
        switch (op) {
            case NEG:
                for (int i = from; i < to; i++) {
                    out[i] = -x[i];
                }
                break;
            case EXP:
                for (int i = from; i < to; i++) {
                    out[i] = (float) Math.exp(x[i]);
                }
                break;
            case LOG:
                for (int i = from; i < to; i++) {
                    out[i] = (float) Math.log(x[i]);
                }
                break;
            case SQRT:
                for (int i = from; i < to; i++) {
                    out[i] = (float) Math.sqrt(x[i]);
                }
                break;
            case TANH:
                for (int i = from; i < to; i++) {
                    out[i] = tanh(x[i]);
                }
                break;
            case SIGMOID:
                for (int i = from; i < to; i++) {
                    out[i] = (float) (1.0 / (1.0 + Math.exp(-x[i])));
                }
                break;
            case RELU:
                for (int i = from; i < to; i++) {
                    out[i] = x[i] > 0f ? x[i] : 0f;
                }
                break;
            case RELU_MASK:
                for (int i = from; i < to; i++) {
                    out[i] = x[i] > 0f ? 1f : 0f;
                }
                break;
            case ABS:
                for (int i = from; i < to; i++) {
                    out[i] = Math.abs(x[i]);
                }
                break;
            case SIGN:
                for (int i = from; i < to; i++) {
                    out[i] = Math.signum(x[i]);
                }
                break;
            default:
                throw new AssertionError(op);
        }
    }

    /**
     * tanh through exp, an intrinsic (Math.tanh is not, and cost 37 ns an element): (e - 1) / (e + 1)
     * with e = exp(2x) in double, exact to float rounding; |x| > 9 gives +-1 (tanh(9) rounds to 1f).
     */
    static float tanh(float x) {
        if (Math.abs(x) > 9f) {
            return Math.copySign(1f, x);
        }
        if (x != x) {
            return x;
        }
        double e = Math.exp(2.0 * x);
        return (float) ((e - 1) / (e + 1));
    }

    /** y = x * scale + shift, elementwise. */
    public static Tensor affine(Tensor a, float scale, float shift) {
        float[] x = a.data();
        float[] out = StepScope.uninitialized(x.length);
        Parallel.forRange(x.length, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = x[i] * scale + shift;
            }
        });
        return Tensor.wrap(out, a.shape());
    }

    /** y = x^p, elementwise. */
    public static Tensor pow(Tensor a, float p) {
        float[] x = a.data();
        float[] out = StepScope.uninitialized(x.length);
        Parallel.forRange(x.length, (from, to) -> {
            if (p == 2f) {
                for (int i = from; i < to; i++) {
                    out[i] = x[i] * x[i];
                }
            } else {
                for (int i = from; i < to; i++) {
                    out[i] = (float) Math.pow(x[i], p);
                }
            }
        });
        return Tensor.wrap(out, a.shape());
    }

    /** Q(GELU(x), d) with one scale, split over the cores as {@link #unary} and {@link #quantize} split (so bit-identical to them). */
    public static Tensor geluQuantize(Tensor a, float d, int lo, int hi) {
        float[] x = a.data();
        float[] out = StepScope.uninitialized(x.length);
        Parallel.forRange(x.length, (from, to) -> FusedKernels.geluQuantizeForward(x, out, from, to, d, lo, hi));
        return Tensor.wrap(out, a.shape());
    }

    /** {dx, dScale} of {@link #geluQuantize}: straight through the quantizer (eqs. 1 and 2), then GELU'. */
    public static Tensor[] geluQuantizeBackward(Tensor a, float d, Tensor g, int lo, int hi) {
        float[] x = a.data(), gd = g.data();
        float[] dx = StepScope.uninitialized(x.length);
        // fixed chunks summed in order, as quantizeBackward: the same scale gradient on any thread count
        int chunks = Math.max(1, Math.min(64, x.length / 4096));
        double[] partial = new double[chunks];
        Parallel.forRows(chunks, Math.max(1, x.length / chunks), (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int from = (int) ((long) x.length * c / chunks), to = (int) ((long) x.length * (c + 1) / chunks);
                partial[c] = FusedKernels.geluQuantizeBackward(x, gd, dx, from, to, d, lo, hi);
            }
        });
        double total = 0;
        for (double p : partial) {
            total += p;
        }
        return new Tensor[] {Tensor.wrap(dx, a.shape()), Tensor.scalar((float) total)};
    }

    /** dx = dy * GELU'(x). */
    public static Tensor geluBackward(Tensor x, Tensor dy) {
        float[] dx = StepScope.uninitialized(x.numel());
        FusedKernels.geluBackward(x.data(), dy.data(), dx, dx.length);
        return Tensor.wrap(dx, x.shape());
    }

    /** out = mask != 0 ? value : x, with mask broadcast to x's shape. */
    public static Tensor maskedFill(Tensor a, Tensor mask, float value) {
        int[] shape = a.shape();
        float[] x = a.data(), m = mask.data();
        float[] out = StepScope.uninitialized(x.length);
        StridedLoop it = new StridedLoop(shape, Shape.strides(shape), Shape.broadcastStrides(mask.shape(), shape));
        if (!it.empty) {
            do {
                int ox = it.offset[0], om = it.offset[1], sm = it.innerStride[1], sx = it.innerStride[0];
                for (int j = 0; j < it.inner; j++) {
                    out[ox + j * sx] = m[om + j * sm] != 0f ? value : x[ox + j * sx];
                }
            } while (it.next());
        }
        return Tensor.wrap(out, shape);
    }

    // ---------------------------------------------------------------- quantization

    /** Q = s * rint(clip(x / s, lo, hi)) with s broadcast to x (round half to even, as Math.rint). */
    public static Tensor quantize(Tensor a, Tensor scale, int lo, int hi) {
        int[] shape = a.shape();
        float[] x = a.data(), s = scale.data();
        float[] out = StepScope.uninitialized(x.length);
        if (s.length == 1) { // one scale for the tensor: a flat loop, split over the cores
            float d = s[0];
            if (d > 0f && Float.isFinite(d)) { // native AVX2 loop, bit-exact with the one below
                Parallel.forRange(x.length, (from, to) -> FusedKernels.quantizeForward(x, out, from, to, d, lo, hi));
                return Tensor.wrap(out, shape);
            }
            Parallel.forRange(x.length, (from, to) -> {
                for (int i = from; i < to; i++) {
                    float u = x[i] / d;
                    float c = u < lo ? lo : (u > hi ? hi : u);
                    out[i] = d * (float) Math.rint(c) + 0f; // + 0f: no negative zero level
                }
            });
            return Tensor.wrap(out, shape);
        }
        StridedLoop it = new StridedLoop(shape, Shape.strides(shape), Shape.broadcastStrides(scale.shape(), shape));
        if (!it.empty) {
            do {
                int ox = it.offset[0], sx = it.innerStride[0], os = it.offset[1], ss = it.innerStride[1];
                for (int j = 0; j < it.inner; j++) {
                    float d = s[os + j * ss];
                    float u = x[ox + j * sx] / d;
                    float c = u < lo ? lo : (u > hi ? hi : u);
                    out[ox + j * sx] = d * (float) Math.rint(c) + 0f;
                }
            } while (it.next());
        }
        return Tensor.wrap(out, shape);
    }

    /**
     * Straight-through gradients of {@link #quantize} (the paper's eqs. 1 and 2): returns {dx, dScale}
     * with dScale already summed to the scale's shape: dx = g inside [lo, hi] and 0 outside;
     * dScale = sum of g * ((Q - x)/s inside, lo below, hi above).
     */
    public static Tensor[] quantizeBackward(Tensor a, Tensor scale, Tensor g, int lo, int hi) {
        int[] shape = a.shape();
        float[] x = a.data(), s = scale.data(), gd = g.data();
        if (s.length == 1) {
            // fixed chunks summed in order: the same result whatever thread ran which chunk
            float d = s[0];
            boolean nativePath = d > 0f && Float.isFinite(d);
            float[] dx = nativePath ? StepScope.uninitialized(x.length) : StepScope.zeros(x.length); // the kernel writes every element
            int chunks = Math.max(1, Math.min(64, x.length / 4096));
            double[] partial = new double[chunks];
            Parallel.forRows(chunks, x.length / chunks, (c0, c1) -> {
                for (int c = c0; c < c1; c++) {
                    int from = (int) ((long) x.length * c / chunks), to = (int) ((long) x.length * (c + 1) / chunks);
                    partial[c] = nativePath ? FusedKernels.quantizeBackward(x, gd, dx, from, to, d, lo, hi)
                            : quantizeBackwardRun(x, gd, d, dx, lo, hi, from, to);
                }
            });
            double total = 0;
            for (double p : partial) {
                total += p;
            }
            return new Tensor[] {Tensor.wrap(dx, shape), Tensor.wrap(new float[] {(float) total}, scale.shape())};
        }
        float[] dx = StepScope.zeros(x.length);
        float[] ds = StepScope.zeros(x.length);
        StridedLoop it = new StridedLoop(shape, Shape.strides(shape), Shape.broadcastStrides(scale.shape(), shape));
        if (!it.empty) {
            do {
                int ox = it.offset[0], sx = it.innerStride[0], os = it.offset[1], ss = it.innerStride[1];
                for (int j = 0; j < it.inner; j++) {
                    int i = ox + j * sx;
                    ds[i] = (float) quantizeBackwardRun(x, gd, s[os + j * ss], dx, lo, hi, i, i + 1);
                }
            } while (it.next());
        }
        return new Tensor[] {Tensor.wrap(dx, shape), sumTo(Tensor.wrap(ds, shape), scale.shape())};
    }

    /** dx over [from, to) and the sum of the scale's gradient terms there. */
    private static double quantizeBackwardRun(float[] x, float[] gd, float d, float[] dx, int lo, int hi, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            float u = x[i] / d;
            if (u < lo) {
                sum += gd[i] * lo;
            } else if (u > hi) {
                sum += gd[i] * hi;
            } else {
                float q = d * (float) Math.rint(u);
                dx[i] = gd[i];
                sum += gd[i] * (q - x[i]) / d;
            }
        }
        return sum;
    }

    // ---------------------------------------------------------------- reductions and layout

    /** Sum over the given normalized axes; the result keeps them as size 1. */
    public static Tensor sumKeepDim(Tensor a, int[] axes) {
        int[] shape = a.shape();
        int[] outShape = Shape.reduced(shape, axes, true);
        double[] acc = new double[Shape.numel(outShape)];
        float[] x = a.data();
        StridedLoop it = new StridedLoop(shape, Shape.strides(shape), Shape.broadcastStrides(outShape, shape));
        if (!it.empty) {
            do {
                int ox = it.offset[0], sx = it.innerStride[0], oo = it.offset[1], so = it.innerStride[1];
                if (so == 0) {
                    double s = 0;
                    for (int j = 0; j < it.inner; j++) {
                        s += x[ox + j * sx];
                    }
                    acc[oo] += s;
                } else if (sx == 1 && so == 1) { // rows into one row (bias and LayerNorm gradients): unit strides C2 can vectorize
                    for (int j = 0; j < it.inner; j++) {
                        acc[oo + j] += x[ox + j];
                    }
                } else {
                    for (int j = 0; j < it.inner; j++) {
                        acc[oo + j * so] += x[ox + j * sx];
                    }
                }
            } while (it.next());
        }
        float[] out = StepScope.zeros(acc.length);
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) acc[i];
        }
        return Tensor.wrap(out, outShape);
    }

    /** Max over the given normalized axes, keeping them as size 1. */
    public static Tensor maxKeepDim(Tensor a, int[] axes) {
        int[] shape = a.shape();
        int[] outShape = Shape.reduced(shape, axes, true);
        float[] out = StepScope.zeros(Shape.numel(outShape));
        Arrays.fill(out, Float.NEGATIVE_INFINITY);
        float[] x = a.data();
        StridedLoop it = new StridedLoop(shape, Shape.strides(shape), Shape.broadcastStrides(outShape, shape));
        if (!it.empty) {
            do {
                int ox = it.offset[0], sx = it.innerStride[0], oo = it.offset[1], so = it.innerStride[1];
                for (int j = 0; j < it.inner; j++) {
                    float v = x[ox + j * sx];
                    if (v > out[oo + j * so] || Float.isNaN(v)) {
                        out[oo + j * so] = v;
                    }
                }
            } while (it.next());
        }
        return Tensor.wrap(out, outShape);
    }

    /** Reduces a broadcast gradient back to {@code shape} (the inverse of broadcasting). */
    public static Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (Arrays.equals(gs, shape)) {
            return g;
        }
        int lead = gs.length - shape.length;
        int count = 0;
        int[] axes = new int[gs.length];
        for (int i = 0; i < gs.length; i++) {
            int j = i - lead;
            if (j < 0 || (shape[j] == 1 && gs[i] != 1)) {
                axes[count++] = i;
            }
        }
        Tensor s = sumKeepDim(g, Arrays.copyOf(axes, count));
        return Tensor.wrap(s.data(), shape);
    }

    /** Copies a tensor broadcast to a larger shape. */
    public static Tensor expand(Tensor a, int[] shape) {
        float[] out = StepScope.uninitialized(Shape.numel(shape));
        float[] x = a.data();
        StridedLoop it = new StridedLoop(shape, Shape.broadcastStrides(a.shape(), shape), Shape.strides(shape));
        if (!it.empty) {
            do {
                int ox = it.offset[0], sx = it.innerStride[0], oo = it.offset[1];
                if (sx == 1) { // a contiguous run: a block copy (continue goes on to it.next())
                    System.arraycopy(x, ox, out, oo, it.inner);
                    continue;
                }
                for (int j = 0; j < it.inner; j++) {
                    out[oo + j] = x[ox + j * sx];
                }
            } while (it.next());
        }
        return Tensor.wrap(out, shape);
    }

    /** Output elements per block of a permutation: the offsets of a block's reads are tabulated once. */
    private static final int PERMUTE_BLOCK = 1024;

    /**
     * Materializes a permutation of axes: out.shape[i] = a.shape[perm[i]]. The output is written in
     * order; the read offsets of its trailing axes (a block of at least {@link #PERMUTE_BLOCK}
     * elements where the shape allows) are tabulated once, so the copy is one tight loop per block
     * instead of a strided walk of the last axis alone (short when the last axis is: a TTM table's
     * modes are 2-5 wide). Blocks are split over the cores.
     */
    public static Tensor permute(Tensor a, int[] perm) {
        int[] shape = a.shape();
        int[] inStrides = Shape.strides(shape);
        int rank = perm.length;
        int[] outShape = new int[rank];
        int[] readStrides = new int[rank];
        for (int i = 0; i < rank; i++) {
            outShape[i] = shape[perm[i]];
            readStrides[i] = inStrides[perm[i]];
        }
        float[] x = a.data();
        float[] out = StepScope.uninitialized(x.length);
        if (x.length == 0) {
            return Tensor.wrap(out, outShape);
        }
        // trailing axes [split, rank) form a block; leading axes [0, split) index the blocks
        int split = rank, block = 1;
        while (split > 0 && block < PERMUTE_BLOCK) {
            block *= outShape[--split];
        }
        int[] offsets = new int[block];
        int[] idx = new int[rank];
        for (int e = 0; e < block; e++) {
            int off = 0;
            for (int i = split; i < rank; i++) {
                off += idx[i] * readStrides[i];
            }
            offsets[e] = off;
            for (int i = rank - 1; i >= split && ++idx[i] == outShape[i]; i--) {
                idx[i] = 0;
            }
        }
        int blocks = x.length / block, blockSize = block, lead = split;
        Parallel.forRows(blocks, block, (from, to) -> {
            int[] at = new int[lead];
            int base = 0;
            for (int i = lead - 1, rem = from; i >= 0; i--) { // the first block's index and read offset
                at[i] = rem % outShape[i];
                rem /= outShape[i];
                base += at[i] * readStrides[i];
            }
            for (int blk = from; blk < to; blk++) {
                int o = blk * blockSize;
                for (int e = 0; e < blockSize; e++) {
                    out[o + e] = x[base + offsets[e]];
                }
                for (int i = lead - 1; i >= 0; i--) {
                    base += readStrides[i];
                    if (++at[i] < outShape[i]) {
                        break;
                    }
                    base -= at[i] * readStrides[i];
                    at[i] = 0;
                }
            }
        });
        return Tensor.wrap(out, outShape);
    }

    /**
     * Copies a block between two tensors that agree on all axes but {@code axis}: the source's
     * [srcFrom, srcFrom+len) along axis goes to the destination's [dstFrom, dstFrom+len); with
     * accumulate, adds instead of overwriting. Backs slice, concat and their gradients.
     */
    public static void copyAlongAxis(Tensor src, int srcFrom, Tensor dst, int dstFrom, int len, int axis, boolean accumulate) {
        int[] ss = src.shape(), ds = dst.shape();
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= ss[i];
        }
        int innerSize = 1;
        for (int i = axis + 1; i < ss.length; i++) {
            innerSize *= ss[i];
        }
        int block = len * innerSize;
        float[] s = src.data(), d = dst.data();
        for (int o = 0; o < outer; o++) {
            int so = (o * ss[axis] + srcFrom) * innerSize;
            int dOff = (o * ds[axis] + dstFrom) * innerSize;
            if (accumulate) {
                for (int j = 0; j < block; j++) {
                    d[dOff + j] += s[so + j];
                }
            } else {
                System.arraycopy(s, so, d, dOff, block);
            }
        }
    }

    /** out[..., i, ...] = a[..., index[i], ...] along axis (indices already validated). */
    public static Tensor indexSelect(Tensor a, int axis, int[] index) {
        int[] shape = a.shape().clone();
        int rows = shape[axis];
        shape[axis] = index.length;
        Tensor out = Tensor.zeros(shape);
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape[i];
        }
        int innerSize = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            innerSize *= shape[i];
        }
        float[] x = a.data(), o = out.data();
        for (int p = 0; p < outer; p++) {
            for (int i = 0; i < index.length; i++) {
                System.arraycopy(x, (p * rows + index[i]) * innerSize, o, (p * index.length + i) * innerSize, innerSize);
            }
        }
        return out;
    }

    /** out = base (copied) with src's slices added at index positions along axis. */
    public static Tensor scatterAdd(Tensor base, int axis, int[] index, Tensor src) {
        int[] shape = base.shape();
        Tensor out = Tensor.wrap(base.data().clone(), shape);
        int rows = shape[axis];
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape[i];
        }
        int innerSize = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            innerSize *= shape[i];
        }
        float[] s = src.data(), o = out.data();
        for (int p = 0; p < outer; p++) {
            for (int i = 0; i < index.length; i++) {
                int dOff = (p * rows + index[i]) * innerSize, sOff = (p * index.length + i) * innerSize;
                for (int j = 0; j < innerSize; j++) {
                    o[dOff + j] += s[sOff + j];
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- matrix products

    /**
     * Batched product over equal batch shapes (a batch of 1 on either side is reused for every
     * product): op(a)[.., m, k] x op(b)[.., k, n]. transA/transB read the last two axes transposed.
     */
    public static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        return matmul(a, transA, b, transB, null);
    }

    /**
     * As {@link #matmul(Tensor, boolean, Tensor, boolean)}, writing into {@code into} when it is
     * non-null (its shape must be the product's shape) instead of allocating.
     */
    public static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor into) {
        int[] as = a.shape(), bs = b.shape();
        int ra = as.length, rb = bs.length;
        int m = transA ? as[ra - 1] : as[ra - 2];
        int k = transA ? as[ra - 2] : as[ra - 1];
        int kb = transB ? bs[rb - 1] : bs[rb - 2];
        int n = transB ? bs[rb - 2] : bs[rb - 1];
        if (k != kb) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Shape.str(as)
                    + (transA ? "^T" : "") + " x " + Shape.str(bs) + (transB ? "^T" : ""));
        }
        int batchA = Shape.numel(Arrays.copyOf(as, ra - 2));
        int batchB = Shape.numel(Arrays.copyOf(bs, rb - 2));
        int[] batchShape = Shape.broadcast("matmul batch", Arrays.copyOf(as, ra - 2), Arrays.copyOf(bs, rb - 2));
        int batch = Shape.numel(batchShape);
        if ((batchA != batch && batchA != 1) || (batchB != batch && batchB != 1)) {
            throw new IllegalArgumentException("matmul kernel: batch shapes of " + Shape.str(as) + " and " + Shape.str(bs)
                    + " must be equal or 1 (expand first)");
        }
        int[] outShape = Arrays.copyOf(batchShape, batchShape.length + 2);
        outShape[outShape.length - 2] = m;
        outShape[outShape.length - 1] = n;
        if (into != null && !Arrays.equals(into.shape(), outShape)) {
            throw new IllegalArgumentException("matmul: output has shape " + Shape.str(into.shape()) + ", the product is "
                    + Shape.str(outShape));
        }
        float[] out = into != null ? into.data() : StepScope.zeros(Shape.numel(outShape));
        if (batchA == 0 || batchB == 0) {
            return into != null ? into : Tensor.wrap(out, outShape);
        }
        if (into != null && (into.data() == a.data() || into.data() == b.data())) {
            throw new IllegalArgumentException("matmul: the output shares storage with an input (GEMM would overwrite it while reading)");
        }
        int lda = Math.max(1, as[ra - 1]), ldb = Math.max(1, bs[rb - 1]), ldc = Math.max(1, n);
        if (batchB == 1 && !transA && batchA > 1) {
            // one weight for every batch item: a single (batch*m) x k GEMM is far faster than a loop
            Blas.sgemm(false, transB, batchA * m, n, k, 1f, a.data(), 0, lda, b.data(), 0, ldb, 0f, out, 0, ldc);
        } else {
            long strideA = batchA == 1 ? 0 : (long) m * k, strideB = batchB == 1 ? 0 : (long) k * n;
            Blas.sgemmBatched(transA, transB, m, n, k, 1f, a.data(), 0, lda, strideA, b.data(), 0, ldb, strideB,
                    0f, out, 0, ldc, (long) m * n, batch);
        }
        return into != null ? into : Tensor.wrap(out, outShape);
    }

    // ---------------------------------------------------------------- row-wise fused kernels (last axis)

    /** Softmax (or log-softmax) over the last axis. */
    public static Tensor softmaxLastAxis(Tensor a, boolean log) {
        return softmaxLastAxis(a, log, null);
    }

    /**
     * Softmax (or log-softmax) over the last axis; when lse is given (one per row), each row's
     * log-partition max + log(sum exp(x - max)) is written there.
     */
    public static Tensor softmaxLastAxis(Tensor a, boolean log, float[] lse) {
        int[] shape = a.shape();
        int n = shape.length == 0 ? 1 : shape[shape.length - 1];
        float[] x = a.data();
        float[] out = StepScope.uninitialized(x.length);
        int rows = n == 0 ? 0 : x.length / n;
        if (rows > 0) {
            TrainingKernels.softmaxRows(rows, n, x, out, lse != null ? lse : new float[rows], log);
        }
        return Tensor.wrap(out, shape);
    }

    /** Gradient of softmax over the last axis: dx = y * (dy - sum(dy * y)). */
    public static Tensor softmaxBackward(Tensor y, Tensor dy) {
        int n = y.shape()[y.rank() - 1];
        float[] yv = y.data(), g = dy.data();
        float[] dx = StepScope.uninitialized(yv.length);
        for (int base = 0; base < yv.length; base += n) {
            double dot = 0;
            for (int j = 0; j < n; j++) {
                dot += (double) g[base + j] * yv[base + j];
            }
            for (int j = 0; j < n; j++) {
                dx[base + j] = (float) (yv[base + j] * (g[base + j] - dot));
            }
        }
        return Tensor.wrap(dx, y.shape());
    }

    /** Gradient of log-softmax over the last axis: dx = dy - exp(y) * sum(dy). */
    public static Tensor logSoftmaxBackward(Tensor y, Tensor dy) {
        int n = y.shape()[y.rank() - 1];
        float[] yv = y.data(), g = dy.data();
        float[] dx = StepScope.uninitialized(yv.length);
        for (int base = 0; base < yv.length; base += n) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sum += g[base + j];
            }
            for (int j = 0; j < n; j++) {
                dx[base + j] = (float) (g[base + j] - Math.exp(yv[base + j]) * sum);
            }
        }
        return Tensor.wrap(dx, y.shape());
    }

    /**
     * Layer norm over the last axis without affine: y = (x - mean) * rstd. Returns y and writes
     * 1/std per row into rstd.
     */
    public static Tensor layerNormForward(Tensor a, float eps, float[] rstd) {
        int n = a.shape()[a.rank() - 1];
        float[] x = a.data();
        float[] y = StepScope.uninitialized(x.length);
        Parallel.forRows(x.length / Math.max(1, n), n, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * n;
                double mean = sum4(x, base, n) / n;
                // four running sums, not one: a single double chain waits on each add (a row is 768+ long)
                double v0 = 0, v1 = 0, v2 = 0, v3 = 0;
                int j = 0;
                for (; j + 4 <= n; j += 4) {
                    double d0 = x[base + j] - mean, d1 = x[base + j + 1] - mean, d2 = x[base + j + 2] - mean, d3 = x[base + j + 3] - mean;
                    v0 += d0 * d0;
                    v1 += d1 * d1;
                    v2 += d2 * d2;
                    v3 += d3 * d3;
                }
                for (; j < n; j++) {
                    double d = x[base + j] - mean;
                    v0 += d * d;
                }
                double var = ((v0 + v1) + (v2 + v3)) / n;
                double rs = 1.0 / Math.sqrt(var + eps);
                rstd[r] = (float) rs;
                for (j = 0; j < n; j++) {
                    y[base + j] = (float) ((x[base + j] - mean) * rs);
                }
            }
        });
        return Tensor.wrap(y, a.shape());
    }

    /** Sum of x[base, base + n) in double, four interleaved partial sums added in a fixed order. */
    private static double sum4(float[] x, int base, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            s0 += x[base + j];
            s1 += x[base + j + 1];
            s2 += x[base + j + 2];
            s3 += x[base + j + 3];
        }
        for (; j < n; j++) {
            s0 += x[base + j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Gradient of the normalization: dx = rstd * (dy - mean(dy) - xhat * mean(dy * xhat)). */
    public static Tensor layerNormBackward(Tensor xhat, float[] rstd, Tensor dy) {
        int n = xhat.shape()[xhat.rank() - 1];
        float[] xh = xhat.data(), g = dy.data();
        float[] dx = StepScope.uninitialized(xh.length);
        Parallel.forRows(xh.length / Math.max(1, n), n, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * n;
                double mg = sum4(g, base, n) / n;
                double p0 = 0, p1 = 0, p2 = 0, p3 = 0;
                int j = 0;
                for (; j + 4 <= n; j += 4) {
                    p0 += (double) g[base + j] * xh[base + j];
                    p1 += (double) g[base + j + 1] * xh[base + j + 1];
                    p2 += (double) g[base + j + 2] * xh[base + j + 2];
                    p3 += (double) g[base + j + 3] * xh[base + j + 3];
                }
                for (; j < n; j++) {
                    p0 += (double) g[base + j] * xh[base + j];
                }
                double mgx = ((p0 + p1) + (p2 + p3)) / n;
                for (j = 0; j < n; j++) {
                    dx[base + j] = (float) (rstd[r] * (g[base + j] - mg - xh[base + j] * mgx));
                }
            }
        });
        return Tensor.wrap(dx, xhat.shape());
    }

    // ---------------------------------------------------------------- fused attention and layer norm (native)

    /** P [B, H, L, L] = softmax(scale * Q_h K_h^T, padded keys -1e9) for q, k [B, L, H * dh]; mask B * L values or null. */
    public static Tensor attentionProbs(Tensor q, Tensor k, float[] mask, int heads, float scale) {
        int b = q.dim(0), l = q.dim(1), dh = q.dim(2) / heads;
        float[] p = StepScope.uninitialized(b * heads * l * l);
        TrainingKernels.attentionProbs(b, l, heads, dh, q.data(), k.data(), mask, scale, p);
        return Tensor.wrap(p, b, heads, l, l);
    }

    /** {dq, dk} of {@link #attentionProbs} given its output p and the gradient dp. */
    public static Tensor[] attentionProbsBackward(Tensor q, Tensor k, float[] mask, int heads, float scale, Tensor p, Tensor dp) {
        int b = q.dim(0), l = q.dim(1), dh = q.dim(2) / heads;
        float[] dq = StepScope.uninitialized(q.numel()), dk = StepScope.uninitialized(k.numel());
        TrainingKernels.attentionProbsBackward(b, l, heads, dh, q.data(), k.data(), mask, scale, p.data(), dp.data(), dq, dk);
        return new Tensor[] {Tensor.wrap(dq, q.shape()), Tensor.wrap(dk, k.shape())};
    }

    /** out [B, L, H * dh] = P_h V_h per head for p [B, H, L, L], v [B, L, H * dh]. */
    public static Tensor attentionContext(Tensor p, Tensor v, int heads) {
        int b = v.dim(0), l = v.dim(1), dh = v.dim(2) / heads;
        float[] out = StepScope.uninitialized(v.numel());
        TrainingKernels.attentionContext(b, l, heads, dh, p.data(), v.data(), out);
        return Tensor.wrap(out, v.shape());
    }

    /** {dp, dv} of {@link #attentionContext} given the gradient of its output. */
    public static Tensor[] attentionContextBackward(Tensor p, Tensor v, Tensor dout, int heads) {
        int b = v.dim(0), l = v.dim(1), dh = v.dim(2) / heads;
        float[] dp = StepScope.uninitialized(p.numel()), dv = StepScope.uninitialized(v.numel());
        TrainingKernels.attentionContextBackward(b, l, heads, dh, p.data(), v.data(), dout.data(), dp, dv);
        return new Tensor[] {Tensor.wrap(dp, p.shape()), Tensor.wrap(dv, v.shape())};
    }

    /**
     * {y, xhat} of y = gamma * xhat + beta, xhat = norm(x + residual) over the last axis (residual may
     * be null); writes 1/std per row into rstd.
     */
    public static Tensor[] layerNorm(Tensor x, Tensor residual, Tensor gamma, Tensor beta, float eps, float[] rstd) {
        int d = x.dim(-1), rows = x.numel() / d;
        float[] xhat = StepScope.uninitialized(x.numel()), y = StepScope.uninitialized(x.numel());
        TrainingKernels.layerNorm(rows, d, x.data(), residual == null ? null : residual.data(), gamma.data(), beta.data(), eps, xhat, y, rstd);
        return new Tensor[] {Tensor.wrap(y, x.shape()), Tensor.wrap(xhat, x.shape())};
    }

    /** {dx, dgamma, dbeta} of {@link #layerNorm} from its saved xhat and rstd. */
    public static Tensor[] layerNormBackward(Tensor xhat, float[] rstd, Tensor gamma, Tensor dy) {
        int d = xhat.dim(-1), rows = xhat.numel() / d;
        float[] dx = StepScope.uninitialized(xhat.numel());
        float[] partial = TrainingKernels.layerNormBackward(rows, d, xhat.data(), rstd, gamma.data(), dy.data(), dx);
        float[] dg = new float[d], db = new float[d];
        for (int blk = 0; blk < partial.length / (2 * d); blk++) { // block order: the same sums on any thread count
            for (int j = 0; j < d; j++) {
                dg[j] += partial[blk * 2 * d + j];
                db[j] += partial[blk * 2 * d + d + j];
            }
        }
        return new Tensor[] {Tensor.wrap(dx, xhat.shape()), Tensor.wrap(dg, d), Tensor.wrap(db, d)};
    }
}
