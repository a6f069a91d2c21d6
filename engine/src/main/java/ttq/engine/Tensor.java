package ttq.engine;

import java.util.Arrays;
import java.util.Random;
import ttq.engine.ops.Affine;
import ttq.engine.ops.Add;
import ttq.engine.ops.Div;
import ttq.engine.ops.Exp;
import ttq.engine.ops.Expand;
import ttq.engine.ops.Gelu;
import ttq.engine.ops.Log;
import ttq.engine.ops.LogSoftmax;
import ttq.engine.ops.MaskedFill;
import ttq.engine.ops.Matmul;
import ttq.engine.ops.Max;
import ttq.engine.ops.Mul;
import ttq.engine.ops.Permute;
import ttq.engine.ops.Pow;
import ttq.engine.ops.Relu;
import ttq.engine.ops.Reshape;
import ttq.engine.ops.Sigmoid;
import ttq.engine.ops.Slice;
import ttq.engine.ops.Softmax;
import ttq.engine.ops.Sqrt;
import ttq.engine.ops.Sub;
import ttq.engine.ops.Sum;
import ttq.engine.ops.Tanh;

/**
 * A float32 tensor: a shape and row-major contiguous storage, plus what reverse-mode autodiff
 * needs (whether it requires grad, its accumulated gradient, and the {@link Function} that made it).
 * Operations return new tensors; {@link #reshape} shares storage.
 */
public final class Tensor {
    private float[] data; // null once released by its StepScope
    private final int[] shape;
    private boolean requiresGrad;
    private boolean logDomain;
    private Tensor grad;
    private float[] spareGrad; // storage of the gradient zeroGrad dropped, for the next one
    private Function gradFn;

    private Tensor(float[] data, int[] shape) {
        this.data = data;
        this.shape = shape;
        StepScope.track(this, data);
    }

    /** Drops this tensor's storage and graph links: its StepScope closed and recycles the array. */
    void release() {
        data = null;
        grad = null;
        gradFn = null;
    }

    private float[] live() {
        if (data == null) {
            throw new IllegalStateException("tensor of shape " + Shape.str(shape) + " was released when the StepScope it was made in"
                    + " closed; read or copy() what you keep before closing the scope");
        }
        return data;
    }

    // ------------------------------------------------------------------ creation

    /** Wraps an array without copying; its length must equal the shape's element count. */
    public static Tensor wrap(float[] data, int... shape) {
        int[] s = shape.clone();
        int n = Shape.numel(s);
        if (data.length != n) {
            throw new IllegalArgumentException("data of length " + data.length + " does not fit shape "
                    + Shape.str(s) + " (" + n + " elements)");
        }
        return new Tensor(data, s);
    }

    /** A tensor holding a copy of data with the given shape. */
    public static Tensor of(float[] data, int... shape) {
        return wrap(data.clone(), shape);
    }

    /** A 2-D tensor from rows (all of the same length). */
    public static Tensor of(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        float[] d = new float[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("ragged rows: row " + i + " has " + rows[i].length + " values, row 0 has " + cols);
            }
            System.arraycopy(rows[i], 0, d, i * cols, cols);
        }
        return wrap(d, rows.length, cols);
    }

    /** A 0-dimensional tensor holding v. */
    public static Tensor scalar(float v) {
        return new Tensor(new float[] {v}, new int[0]);
    }

    /** A tensor of zeros with the given shape. */
    public static Tensor zeros(int... shape) {
        return wrap(new float[Shape.numel(shape)], shape);
    }

    /** A tensor of ones with the given shape. */
    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** A tensor with every element equal to value. */
    public static Tensor full(float value, int... shape) {
        float[] d = new float[Shape.numel(shape)];
        Arrays.fill(d, value);
        return wrap(d, shape);
    }

    /** Uniform values in [0, 1) from a seeded generator. */
    public static Tensor rand(long seed, int... shape) {
        return uniform(new Random(seed), 0f, 1f, shape);
    }

    /** Standard normal values from a seeded generator. */
    public static Tensor randn(long seed, int... shape) {
        return normal(new Random(seed), 1f, shape);
    }

    /** Uniform values in [lo, hi). */
    public static Tensor uniform(Random random, float lo, float hi, int... shape) {
        float[] d = new float[Shape.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = lo + (hi - lo) * random.nextFloat();
        }
        return wrap(d, shape);
    }

    /** Normal values with mean 0 and the given standard deviation. */
    public static Tensor normal(Random random, float std, int... shape) {
        float[] d = new float[Shape.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (random.nextGaussian() * std);
        }
        return wrap(d, shape);
    }

    // ------------------------------------------------------------------ inspection

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of axis i (negative counts from the end). */
    public int dim(int i) {
        return shape[Shape.axis("dim", i, shape.length)];
    }

    /** Number of elements (the product of the shape). */
    public int numel() {
        return data != null ? data.length : Shape.numel(shape);
    }

    /** The backing array (row-major). Writing to it bypasses autograd: only for kernels and optimizers. */
    public float[] data() {
        return live();
    }

    /** A copy of the values. */
    public float[] toArray() {
        return live().clone();
    }

    /** The single value of a one-element tensor. */
    public float item() {
        live();
        if (data.length != 1) {
            throw new IllegalStateException("item() on a tensor of shape " + Shape.str(shape) + " (" + data.length + " elements)");
        }
        return data[0];
    }

    /** The value at a multi-index. */
    public float get(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + index.length + " for a tensor of rank " + shape.length);
        }
        int off = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of shape " + Shape.str(shape));
            }
            off = off * shape[i] + index[i];
        }
        return live()[off];
    }

    @Override
    public String toString() {
        if (data == null) {
            return "Tensor" + Shape.str(shape) + " (released)";
        }
        String values = data.length <= 16 ? Arrays.toString(data) : Arrays.toString(Arrays.copyOf(data, 16)) + "...";
        return "Tensor" + Shape.str(shape) + (requiresGrad ? "(grad)" : "") + " " + values;
    }

    // ------------------------------------------------------------------ autograd

    /** Whether backward computes a gradient for this tensor. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Marks a positive parameter (a quantizer's scale) to be optimized as log(value): optimizers
     * then step it by a factor, relative to its size. A step of size lr on a scale of 0.005 would
     * otherwise change it by 20% per step and can walk it to zero. Returns this.
     */
    public Tensor optimizeInLogDomain(boolean value) {
        this.logDomain = value;
        return this;
    }

    /** Whether optimizers step this parameter in the log domain. */
    public boolean isOptimizedInLogDomain() {
        return logDomain;
    }

    /** Marks a leaf tensor as a variable whose gradient backward accumulates. Returns this. */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null && !value) {
            throw new IllegalStateException("cannot clear requiresGrad on a non-leaf tensor (made by " + gradFn.name() + "); use detach()");
        }
        this.requiresGrad = value;
        return this;
    }

    /** The gradient accumulated by backward, or null. */
    public Tensor grad() {
        return grad;
    }

    /**
     * Forgets the accumulated gradient. Its storage may be reused by the next backward (as PyTorch's
     * {@code zero_grad(set_to_none=False)} does): {@link #copy()} a gradient you keep across zeroGrad.
     */
    public void zeroGrad() {
        if (grad != null && grad.data != null) {
            spareGrad = grad.data;
        }
        grad = null;
    }

    /** The node that produced this tensor, or null for a leaf. */
    public Function gradFn() {
        return gradFn;
    }

    /** True for tensors created by the user (parameters, inputs), false for results of a recorded op. */
    public boolean isLeaf() {
        return gradFn == null;
    }

    /** Backpropagates from a one-element tensor (gradient 1). */
    public void backward() {
        if (data.length != 1) {
            throw new IllegalStateException("backward() without a gradient needs a one-element tensor, this has shape "
                    + Shape.str(shape) + "; pass the upstream gradient explicitly");
        }
        Autograd.backward(this, Tensor.full(1f, shape));
    }

    /** Backpropagates an explicit upstream gradient of this tensor's shape. */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient);
    }

    /** A tensor sharing this one's values but cut from the graph. */
    public Tensor detach() {
        return new Tensor(live(), shape);
    }

    void setGradFn(Function fn) {
        this.gradFn = fn;
        this.requiresGrad = true;
    }

    /** Adds g to the gradient; an exclusive g (no one else holds its array) is kept without a copy. */
    void accumulateGrad(Tensor g, boolean exclusive) {
        if (grad == null) {
            // An exclusive array is kept as it is; one from a StepScope's pool is first taken out of
            // the scope (which gets the storage of the gradient zeroGrad dropped in exchange, so
            // the pool does not shrink). Shared arrays are copied, into that old storage if it fits.
            float[] keep;
            if (exclusive) {
                keep = g.data;
                StepScope.claim(keep, spareGrad);
            } else if (spareGrad != null && spareGrad.length == g.data.length) {
                keep = spareGrad;
                System.arraycopy(g.data, 0, keep, 0, keep.length);
            } else {
                keep = g.data.clone();
            }
            spareGrad = null;
            grad = new Tensor(keep, shape.clone());
        } else {
            float[] acc = grad.data, add = g.data;
            for (int i = 0; i < acc.length; i++) {
                acc[i] += add[i];
            }
        }
    }

    // ------------------------------------------------------------------ elementwise

    /** Elementwise sum with broadcasting. */
    public Tensor add(Tensor other) {
        return Add.apply(this, other);
    }

    /** This plus a constant. */
    public Tensor add(float c) {
        return Affine.apply(this, 1f, c);
    }

    /** Elementwise difference with broadcasting. */
    public Tensor sub(Tensor other) {
        return Sub.apply(this, other);
    }

    /** This minus a constant. */
    public Tensor sub(float c) {
        return Affine.apply(this, 1f, -c);
    }

    /** Elementwise product with broadcasting. */
    public Tensor mul(Tensor other) {
        return Mul.apply(this, other);
    }

    /** This times a constant. */
    public Tensor mul(float c) {
        return Affine.apply(this, c, 0f);
    }

    /** Elementwise quotient with broadcasting. */
    public Tensor div(Tensor other) {
        return Div.apply(this, other);
    }

    /** This divided by a constant. */
    public Tensor div(float c) {
        return Affine.apply(this, 1f / c, 0f);
    }

    /** Elementwise negation. */
    public Tensor neg() {
        return Affine.apply(this, -1f, 0f);
    }

    /** Elementwise e^x. */
    public Tensor exp() {
        return Exp.apply(this);
    }

    /** Elementwise natural logarithm. */
    public Tensor log() {
        return Log.apply(this);
    }

    /** Elementwise square root. */
    public Tensor sqrt() {
        return Sqrt.apply(this);
    }

    /** Elementwise x^exponent. */
    public Tensor pow(float exponent) {
        return Pow.apply(this, exponent);
    }

    /** Elementwise hyperbolic tangent. */
    public Tensor tanh() {
        return Tanh.apply(this);
    }

    /** Elementwise logistic sigmoid. */
    public Tensor sigmoid() {
        return Sigmoid.apply(this);
    }

    /** Elementwise max(x, 0). */
    public Tensor relu() {
        return Relu.apply(this);
    }

    /** GELU, erf form (as BERT). */
    public Tensor gelu() {
        return Gelu.apply(this);
    }

    /** Where mask (broadcast to this shape) is non-zero, the value; elsewhere this tensor's. */
    public Tensor maskedFill(Tensor mask, float value) {
        return MaskedFill.apply(this, mask, value);
    }

    // ------------------------------------------------------------------ reductions

    /** Sum of all elements (a scalar). */
    public Tensor sum() {
        return Sum.apply(this, new int[0], false);
    }

    /** Sum over axes (all axes when none given). */
    public Tensor sum(boolean keepDim, int... axes) {
        return Sum.apply(this, axes, keepDim);
    }

    /** Mean of all elements. */
    public Tensor mean() {
        return sum().mul(1f / Math.max(1, data.length));
    }

    /** Mean over axes (all axes when none given). */
    public Tensor mean(boolean keepDim, int... axes) {
        int[] ax = Shape.axes("mean", axes, shape.length);
        int count = 1;
        for (int a : ax) {
            count *= shape[a];
        }
        return Sum.apply(this, ax, keepDim).mul(1f / Math.max(1, count));
    }

    /** Maximum over axes (all axes when none given); ties share the gradient equally. */
    public Tensor max(boolean keepDim, int... axes) {
        return Max.apply(this, axes, keepDim);
    }

    /** Sums a broadcast tensor back to a shape it was broadcast from. */
    public Tensor sumTo(int... target) {
        if (Arrays.equals(shape, target)) {
            return this;
        }
        Shape.broadcast("sumTo", target, shape); // validates compatibility
        int lead = shape.length - target.length;
        int[] axes = new int[shape.length];
        int n = 0;
        for (int i = 0; i < shape.length; i++) {
            int j = i - lead;
            if (j < 0 || (target[j] == 1 && shape[i] != 1)) {
                axes[n++] = i;
            }
        }
        return Sum.apply(this, Arrays.copyOf(axes, n), true).reshape(target);
    }

    // ------------------------------------------------------------------ shape

    /** Same values, new shape (one dimension may be -1); shares storage. */
    public Tensor reshape(int... newShape) {
        return Reshape.apply(this, newShape);
    }

    /** Reorders axes: result axis i is this tensor's axis perm[i]. */
    public Tensor permute(int... perm) {
        return Permute.apply(this, perm);
    }

    /** Swaps two axes. */
    public Tensor transpose(int a, int b) {
        int[] perm = new int[shape.length];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        int x = Shape.axis("transpose", a, shape.length), y = Shape.axis("transpose", b, shape.length);
        perm[x] = y;
        perm[y] = x;
        return Permute.apply(this, perm);
    }

    /** Elements [from, to) along axis. */
    public Tensor slice(int axis, int from, int to) {
        return Slice.apply(this, axis, from, to);
    }

    /** Broadcasts (by copying) to a larger shape. */
    public Tensor expand(int... target) {
        return Expand.apply(this, target);
    }

    /** Matrix product over the last two axes, batch axes broadcast (NumPy matmul, rank >= 2). */
    public Tensor matmul(Tensor other) {
        return Matmul.apply(this, other);
    }

    // ------------------------------------------------------------------ normalizations

    /** Softmax along an axis. */
    public Tensor softmax(int axis) {
        return alongLastAxis(axis, t -> Softmax.apply(t));
    }

    /** Log-softmax along an axis. */
    public Tensor logSoftmax(int axis) {
        return alongLastAxis(axis, t -> LogSoftmax.apply(t));
    }

    private Tensor alongLastAxis(int axis, java.util.function.UnaryOperator<Tensor> op) {
        int a = Shape.axis("softmax", axis, shape.length);
        if (a == shape.length - 1) {
            return op.apply(this);
        }
        return op.apply(transpose(a, -1)).transpose(a, -1);
    }

    /** Non-differentiable copy of the values as a new leaf. */
    public Tensor copy() {
        return new Tensor(live().clone(), shape.clone());
    }

    /** Elementwise comparison helper for tests: max |this - other|. */
    public float maxAbsDiff(Tensor other) {
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException("shapes differ: " + Shape.str(shape) + " vs " + Shape.str(other.shape));
        }
        float m = 0;
        for (int i = 0; i < data.length; i++) {
            m = Math.max(m, Math.abs(data[i] - other.data[i]));
        }
        return m;
    }

}
