package ttq.engine.ops;

import java.util.Arrays;
import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * Matrix product over the last two axes with NumPy batch broadcasting, on OpenBLAS sgemm.
 * Backward: dA = dC B^T, dB = A^T dC (transposes are GEMM flags, never copies), each summed
 * over the batch axes its input was broadcast along.
 */
public final class Matmul extends Function {
    public static Tensor apply(Tensor a, Tensor b) {
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul: both operands need rank >= 2, got " + Shape.str(a.shape())
                    + " and " + Shape.str(b.shape()) + " (reshape vectors to [1, n] or [n, 1])");
        }
        if (a.dim(-1) != b.dim(-2)) {
            throw new IllegalArgumentException("matmul: " + Shape.str(a.shape()) + " x " + Shape.str(b.shape())
                    + ": inner dimensions " + a.dim(-1) + " and " + b.dim(-2) + " differ");
        }
        int[] batchA = Arrays.copyOf(a.shape(), a.rank() - 2), batchB = Arrays.copyOf(b.shape(), b.rank() - 2);
        int[] batch = Shape.broadcast("matmul batch", batchA, batchB);
        int nb = Shape.numel(batch);
        int na = Shape.numel(batchA), nB = Shape.numel(batchB);
        // the kernel reuses a batch-1 operand; any other broadcast is materialized (and summed back by Expand)
        if (na != nb && na != 1) {
            a = a.expand(concat(batch, a.dim(-2), a.dim(-1)));
        }
        if (nB != nb && nB != 1) {
            b = b.expand(concat(batch, b.dim(-2), b.dim(-1)));
        }
        Tensor out = CpuKernels.matmul(a, false, b, false);
        int[] outShape = concat(batch, a.dim(-2), b.dim(-1));
        if (!Arrays.equals(out.shape(), outShape)) {
            out = Tensor.wrap(out.data(), outShape);
        }
        if (!recording(a, b)) {
            return out;
        }
        Matmul f = new Matmul();
        f.save(a, b);
        return f.attach(out, a, b);
    }

    private static int[] concat(int[] batch, int rows, int cols) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = rows;
        s[batch.length + 1] = cols;
        return s;
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor a = saved(0), b = saved(1);
        Tensor ga = null, gb = null;
        if (needsGrad(0)) {
            ga = CpuKernels.matmul(g, false, b, true);
            ga = reduceTo(ga, a.shape());
        }
        if (needsGrad(1)) {
            if (b.rank() == 2 && a.rank() > 2) {
                // shared weight: one (k x batch*m) x (batch*m x n) GEMM
                int k = a.dim(-1), n = g.dim(-1);
                gb = CpuKernels.matmul(Tensor.wrap(a.data(), a.numel() / k, k), true, Tensor.wrap(g.data(), g.numel() / n, n), false);
            } else {
                gb = reduceTo(CpuKernels.matmul(a, true, g, false), b.shape());
            }
        }
        return new Tensor[] {ga, gb};
    }

    private static Tensor reduceTo(Tensor grad, int[] shape) {
        if (Arrays.equals(grad.shape(), shape)) {
            return grad;
        }
        if (grad.numel() == Shape.numel(shape)) {
            return Tensor.wrap(grad.data(), shape);
        }
        return CpuKernels.sumTo(grad, shape);
    }
}
