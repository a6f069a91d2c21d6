package ttq.engine;

import java.util.Arrays;

/** Static helpers for shapes (int arrays), strides and NumPy broadcasting. */
public final class Shape {
    private Shape() {
    }

    /** Number of elements of a shape (1 for a scalar shape []). */
    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
            }
        }
        return (int) n;
    }

    /** Row-major strides in elements. */
    public static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** Broadcast result shape of a and b (NumPy rules), or an exception naming the op. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            int db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /**
     * Strides to read a tensor of shape {@code from} as if it had the (broadcast) shape {@code to}:
     * broadcast dimensions get stride 0.
     */
    public static int[] broadcastStrides(int[] from, int[] to) {
        int[] s = new int[to.length];
        int[] fs = strides(from);
        int lead = to.length - from.length;
        for (int i = 0; i < to.length; i++) {
            int j = i - lead;
            s[i] = (j < 0 || from[j] == 1) ? 0 : fs[j];
        }
        return s;
    }

    /** Normalizes a possibly negative axis against rank, with a clear error. */
    public static int axis(String op, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " out of range for rank " + rank);
        }
        return a;
    }

    /** Normalized, sorted, duplicate-free axes; empty input means all axes. */
    public static int[] axes(String op, int[] axes, int rank) {
        if (axes == null || axes.length == 0) {
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) {
                all[i] = i;
            }
            return all;
        }
        boolean[] seen = new boolean[rank];
        for (int a : axes) {
            int n = axis(op, a, rank);
            if (seen[n]) {
                throw new IllegalArgumentException(op + ": axis " + a + " given twice");
            }
            seen[n] = true;
        }
        int[] out = new int[axes.length];
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (seen[i]) {
                out[k++] = i;
            }
        }
        return out;
    }

    /** Shape after reducing the given (normalized) axes, keeping them as size 1 or dropping them. */
    public static int[] reduced(int[] shape, int[] axes, boolean keepDim) {
        boolean[] red = new boolean[shape.length];
        for (int a : axes) {
            red[a] = true;
        }
        int[] out = new int[keepDim ? shape.length : shape.length - axes.length];
        int k = 0;
        for (int i = 0; i < shape.length; i++) {
            if (red[i]) {
                if (keepDim) {
                    out[k++] = 1;
                }
            } else {
                out[k++] = shape[i];
            }
        }
        return out;
    }

    /** A shape as "[2, 3, 4]" for messages. */
    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
