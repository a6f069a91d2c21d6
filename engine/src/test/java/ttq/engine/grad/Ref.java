package ttq.engine.grad;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import ttq.engine.Shape;
import ttq.engine.check.DoubleTensor;

/**
 * Double-precision reference implementations of the engine's ops, written as directly as
 * possible (index arithmetic, no shortcuts) so they can be trusted as the oracle.
 */
final class Ref {
    private Ref() {
    }

    static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return idx;
    }

    static int ravel(int[] idx, int[] shape) {
        int off = 0;
        for (int d = 0; d < shape.length; d++) {
            off = off * shape[d] + idx[d];
        }
        return off;
    }

    /** Value of t at an index of a (larger, broadcast) shape. */
    static double at(DoubleTensor t, int[] idx) {
        int lead = idx.length - t.shape.length;
        int off = 0;
        for (int d = 0; d < t.shape.length; d++) {
            int i = t.shape[d] == 1 ? 0 : idx[d + lead];
            off = off * t.shape[d] + i;
        }
        return t.v[off];
    }

    static DoubleTensor binary(DoubleTensor a, DoubleTensor b, DoubleBinaryOperator f) {
        int[] shape = Shape.broadcast("ref", a.shape, b.shape);
        DoubleTensor out = DoubleTensor.zeros(shape);
        for (int o = 0; o < out.numel(); o++) {
            int[] idx = unravel(o, shape);
            out.v[o] = f.applyAsDouble(at(a, idx), at(b, idx));
        }
        return out;
    }

    static DoubleTensor map(DoubleTensor a, DoubleUnaryOperator f) {
        DoubleTensor out = DoubleTensor.zeros(a.shape);
        for (int i = 0; i < a.numel(); i++) {
            out.v[i] = f.applyAsDouble(a.v[i]);
        }
        return out;
    }

    static DoubleTensor sum(DoubleTensor a, int[] axes, boolean keepDim) {
        int[] ax = Shape.axes("ref", axes, a.rank());
        int[] kept = Shape.reduced(a.shape, ax, true);
        DoubleTensor out = DoubleTensor.zeros(kept);
        for (int i = 0; i < a.numel(); i++) {
            int[] idx = unravel(i, a.shape);
            for (int d : ax) {
                idx[d] = 0;
            }
            out.v[ravel(idx, kept)] += a.v[i];
        }
        return keepDim ? out : new DoubleTensor(out.v, Shape.reduced(a.shape, ax, false));
    }

    static DoubleTensor max(DoubleTensor a, int[] axes, boolean keepDim) {
        int[] ax = Shape.axes("ref", axes, a.rank());
        int[] kept = Shape.reduced(a.shape, ax, true);
        DoubleTensor out = DoubleTensor.zeros(kept);
        Arrays.fill(out.v, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < a.numel(); i++) {
            int[] idx = unravel(i, a.shape);
            for (int d : ax) {
                idx[d] = 0;
            }
            int o = ravel(idx, kept);
            out.v[o] = Math.max(out.v[o], a.v[i]);
        }
        return keepDim ? out : new DoubleTensor(out.v, Shape.reduced(a.shape, ax, false));
    }

    static DoubleTensor permute(DoubleTensor a, int[] perm) {
        int[] shape = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            shape[i] = a.shape[perm[i]];
        }
        DoubleTensor out = DoubleTensor.zeros(shape);
        for (int o = 0; o < out.numel(); o++) {
            int[] idx = unravel(o, shape);
            int[] src = new int[perm.length];
            for (int i = 0; i < perm.length; i++) {
                src[perm[i]] = idx[i];
            }
            out.v[o] = a.v[ravel(src, a.shape)];
        }
        return out;
    }

    static DoubleTensor slice(DoubleTensor a, int axis, int from, int to) {
        int[] shape = a.shape.clone();
        shape[axis] = to - from;
        DoubleTensor out = DoubleTensor.zeros(shape);
        for (int o = 0; o < out.numel(); o++) {
            int[] idx = unravel(o, shape);
            idx[axis] += from;
            out.v[o] = a.v[ravel(idx, a.shape)];
        }
        return out;
    }

    static DoubleTensor concat(int axis, DoubleTensor... xs) {
        int[] shape = xs[0].shape.clone();
        shape[axis] = 0;
        for (DoubleTensor x : xs) {
            shape[axis] += x.shape[axis];
        }
        DoubleTensor out = DoubleTensor.zeros(shape);
        for (int o = 0; o < out.numel(); o++) {
            int[] idx = unravel(o, shape);
            int k = 0;
            while (idx[axis] >= xs[k].shape[axis]) {
                idx[axis] -= xs[k].shape[axis];
                k++;
            }
            out.v[o] = xs[k].v[ravel(idx, xs[k].shape)];
        }
        return out;
    }

    static DoubleTensor indexSelect(DoubleTensor a, int axis, int[] index) {
        int[] shape = a.shape.clone();
        shape[axis] = index.length;
        DoubleTensor out = DoubleTensor.zeros(shape);
        for (int o = 0; o < out.numel(); o++) {
            int[] idx = unravel(o, shape);
            idx[axis] = index[idx[axis]];
            out.v[o] = a.v[ravel(idx, a.shape)];
        }
        return out;
    }

    static DoubleTensor scatterAdd(DoubleTensor base, int axis, int[] index, DoubleTensor src) {
        DoubleTensor out = base.copy();
        for (int s = 0; s < src.numel(); s++) {
            int[] idx = unravel(s, src.shape);
            idx[axis] = index[idx[axis]];
            out.v[ravel(idx, base.shape)] += src.v[s];
        }
        return out;
    }

    static DoubleTensor expand(DoubleTensor a, int[] shape) {
        DoubleTensor out = DoubleTensor.zeros(shape);
        for (int o = 0; o < out.numel(); o++) {
            out.v[o] = at(a, unravel(o, shape));
        }
        return out;
    }

    static DoubleTensor matmul(DoubleTensor a, DoubleTensor b) {
        int m = a.shape[a.rank() - 2], k = a.shape[a.rank() - 1], n = b.shape[b.rank() - 1];
        int[] batch = Shape.broadcast("ref", Arrays.copyOf(a.shape, a.rank() - 2), Arrays.copyOf(b.shape, b.rank() - 2));
        int[] shape = Arrays.copyOf(batch, batch.length + 2);
        shape[batch.length] = m;
        shape[batch.length + 1] = n;
        DoubleTensor out = DoubleTensor.zeros(shape);
        for (int o = 0; o < out.numel(); o++) {
            int[] idx = unravel(o, shape);
            int i = idx[batch.length], j = idx[batch.length + 1];
            double s = 0;
            for (int p = 0; p < k; p++) {
                int[] ia = idx.clone();
                ia[batch.length] = i;
                ia[batch.length + 1] = p;
                int[] ib = idx.clone();
                ib[batch.length] = p;
                ib[batch.length + 1] = j;
                s += at(a, ia) * at(b, ib);
            }
            out.v[o] = s;
        }
        return out;
    }

    /** Applies f to each row of the last axis. */
    interface RowFn {
        void apply(double[] in, double[] out);
    }

    static DoubleTensor rows(DoubleTensor a, RowFn f) {
        int n = a.shape[a.rank() - 1];
        DoubleTensor out = DoubleTensor.zeros(a.shape);
        for (int base = 0; base < a.numel(); base += n) {
            double[] in = Arrays.copyOfRange(a.v, base, base + n);
            double[] res = new double[n];
            f.apply(in, res);
            System.arraycopy(res, 0, out.v, base, n);
        }
        return out;
    }

    static DoubleTensor softmax(DoubleTensor a, boolean log) {
        return rows(a, (in, out) -> {
            double max = Double.NEGATIVE_INFINITY;
            for (double x : in) {
                max = Math.max(max, x);
            }
            double s = 0;
            for (double x : in) {
                s += Math.exp(x - max);
            }
            for (int j = 0; j < in.length; j++) {
                out[j] = log ? in[j] - max - Math.log(s) : Math.exp(in[j] - max) / s;
            }
        });
    }

    static DoubleTensor normalize(DoubleTensor a, double eps) {
        return rows(a, (in, out) -> {
            double mean = 0;
            for (double x : in) {
                mean += x;
            }
            mean /= in.length;
            double var = 0;
            for (double x : in) {
                var += (x - mean) * (x - mean);
            }
            var /= in.length;
            for (int j = 0; j < in.length; j++) {
                out[j] = (in[j] - mean) / Math.sqrt(var + eps);
            }
        });
    }

    static DoubleTensor crossEntropy(DoubleTensor logits, int[] targets, int ignore) {
        DoubleTensor lp = softmax(logits, true);
        int c = logits.shape[1];
        double s = 0;
        int count = 0;
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] != ignore) {
                s -= lp.v[i * c + targets[i]];
                count++;
            }
        }
        return new DoubleTensor(new double[] {count == 0 ? 0 : s / count});
    }

    static DoubleTensor maskedFill(DoubleTensor a, DoubleTensor mask, double value) {
        return binary(a, mask, (x, m) -> m != 0 ? value : x);
    }

    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /** erf to double precision (series below 3, continued fraction above). */
    static double erf(double x) {
        double t = Math.abs(x);
        double r;
        if (t < 3) {
            double sum = t, term = t, t2 = t * t;
            for (int n = 1; n < 200; n++) {
                term *= -t2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-18) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double f = 0;
            for (int n = 80; n >= 1; n--) {
                f = n / 2.0 / (t + f);
            }
            r = 1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
        }
        return x < 0 ? -r : r;
    }
}
