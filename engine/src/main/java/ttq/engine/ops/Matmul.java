package ttq.engine.ops;

import java.util.Arrays;
import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * Matrix product op(A) op(B) over the last two axes, where op transposes when asked (a GEMM flag,
 * never a copy), with NumPy batch broadcasting, on OpenBLAS sgemm. Backward, for C = op(A) op(B):
 * dA = dC op(B)^T (stored transposed when A is), dB = op(A)^T dC (likewise), each summed over the
 * batch axes its input was broadcast along.
 */
public final class Matmul extends Function {
    private boolean transA, transB;

    /** A B over the last two axes. */
    public static Tensor apply(Tensor a, Tensor b) {
        return apply(a, false, b, false);
    }

    /** op(A) op(B) over the last two axes, op transposing where asked. */
    public static Tensor apply(Tensor a, boolean transA, Tensor b, boolean transB) {
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul: both operands need rank >= 2, got " + Shape.str(a.shape())
                    + " and " + Shape.str(b.shape()) + " (reshape vectors to [1, n] or [n, 1])");
        }
        int m = transA ? a.dim(-1) : a.dim(-2), k = transA ? a.dim(-2) : a.dim(-1);
        int kb = transB ? b.dim(-1) : b.dim(-2), n = transB ? b.dim(-2) : b.dim(-1);
        if (k != kb) {
            throw new IllegalArgumentException("matmul: " + Shape.str(a.shape()) + (transA ? "^T" : "") + " x "
                    + Shape.str(b.shape()) + (transB ? "^T" : "") + ": inner dimensions " + k + " and " + kb + " differ");
        }
        int[] batchA = Arrays.copyOf(a.shape(), a.rank() - 2), batchB = Arrays.copyOf(b.shape(), b.rank() - 2);
        int[] batch = Shape.broadcast("matmul batch", batchA, batchB);
        int nb = Shape.numel(batch);
        // the kernel reuses a batch-1 operand; any other broadcast is materialized (and summed back by Expand)
        if (Shape.numel(batchA) != nb && Shape.numel(batchA) != 1) {
            a = a.expand(concat(batch, a.dim(-2), a.dim(-1)));
        }
        if (Shape.numel(batchB) != nb && Shape.numel(batchB) != 1) {
            b = b.expand(concat(batch, b.dim(-2), b.dim(-1)));
        }
        Tensor out = CpuKernels.matmul(a, transA, b, transB);
        int[] outShape = concat(batch, m, n);
        if (!Arrays.equals(out.shape(), outShape)) {
            out = Tensor.wrap(out.data(), outShape);
        }
        if (!recording(a, b)) {
            return out;
        }
        Matmul f = new Matmul();
        f.transA = transA;
        f.transB = transB;
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
            ga = transA ? CpuKernels.matmul(b, transB, g, true) : CpuKernels.matmul(g, false, b, !transB);
            ga = reduceTo(ga, a.shape());
        }
        if (needsGrad(1)) {
            if (b.rank() == 2 && a.rank() > 2 && !transA) {
                // a weight shared by every batch item: one GEMM over the flattened batch
                int k = a.dim(-1), n = g.dim(-1);
                Tensor a2 = Tensor.wrap(a.data(), a.numel() / k, k), g2 = Tensor.wrap(g.data(), g.numel() / n, n);
                gb = transB ? CpuKernels.matmul(g2, true, a2, false) : CpuKernels.matmul(a2, true, g2, false);
            } else {
                gb = transB ? CpuKernels.matmul(g, true, a, transA) : CpuKernels.matmul(a, !transA, g, false);
                gb = reduceTo(gb, b.shape());
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
