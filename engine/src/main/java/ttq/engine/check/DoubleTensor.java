package ttq.engine.check;

import java.util.Arrays;
import ttq.engine.Shape;
import ttq.engine.Tensor;

/**
 * A plain double-precision tensor (shape + row-major values) for reference implementations in
 * gradient checks: no autograd, no performance, just exact-enough arithmetic.
 */
public final class DoubleTensor {
    /** Dimensions. */
    public final int[] shape;
    /** Values in row-major order. */
    public final double[] v;

    /** Wraps values (row-major) with the given shape; their count must match. */
    public DoubleTensor(double[] values, int... shape) {
        if (values.length != Shape.numel(shape)) {
            throw new IllegalArgumentException(values.length + " values for shape " + Arrays.toString(shape));
        }
        this.v = values;
        this.shape = shape.clone();
    }

    /** Zeros of the given shape. */
    public static DoubleTensor zeros(int... shape) {
        return new DoubleTensor(new double[Shape.numel(shape)], shape);
    }

    /** The exact values of a float tensor. */
    public static DoubleTensor of(Tensor t) {
        float[] d = t.data();
        double[] v = new double[d.length];
        for (int i = 0; i < d.length; i++) {
            v[i] = d[i];
        }
        return new DoubleTensor(v, t.shape());
    }

    /** These values rounded to a float tensor. */
    public Tensor toTensor() {
        float[] d = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = (float) v[i];
        }
        return Tensor.wrap(d, shape);
    }

    /** Number of elements. */
    public int numel() {
        return v.length;
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** A deep copy. */
    public DoubleTensor copy() {
        return new DoubleTensor(v.clone(), shape);
    }

    @Override
    public String toString() {
        return "DoubleTensor" + Arrays.toString(shape) + " " + Arrays.toString(v.length > 12 ? Arrays.copyOf(v, 12) : v);
    }
}
