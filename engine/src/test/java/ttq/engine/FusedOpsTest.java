package ttq.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import ttq.kernels.Parallel;

/**
 * The fused attention and layer-norm ops give what the composed ops they replace give (matmul,
 * scale, maskedFill, softmax, permutes; add, normalize, mul, add), forward and every gradient, at
 * the model's sizes and at odd ones, on one thread and on all.
 */
class FusedOpsTest {
    private static Tensor normal(Random r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
        return t.requiresGrad(true);
    }

    private static void close(Tensor expected, Tensor actual, double tol, String what) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what + " shape");
        float[] e = expected.data(), a = actual.data();
        double scale = 0;
        for (float v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(e[i] - a[i]) <= tol * (1 + scale), what + " differs at " + i + ": " + e[i] + " vs " + a[i]);
        }
    }

    /** Composed attention as the model ran it before the fused ops: heads permuted out and back. */
    private static Tensor composedAttention(Tensor q, Tensor k, Tensor v, Tensor mask, int heads, float scale) {
        int b = q.dim(0), l = q.dim(1), d = q.dim(2), dh = d / heads;
        Tensor qh = q.reshape(b, l, heads, dh).permute(0, 2, 1, 3), kh = k.reshape(b, l, heads, dh).permute(0, 2, 1, 3);
        Tensor vh = v.reshape(b, l, heads, dh).permute(0, 2, 1, 3);
        Tensor p = Ops.matmul(qh, false, kh, true).mul(scale).maskedFill(mask, -1e9f).softmax(-1);
        return p.matmul(vh).permute(0, 2, 1, 3).reshape(b, l, d);
    }

    @ParameterizedTest
    @CsvSource({"32, 24, 12, 64, 1", "32, 24, 12, 64, 2", "3, 37, 4, 20, 2", "2, 5, 3, 67, 2", "1, 1, 1, 1, 1"})
    void attentionEqualsTheComposedOps(int b, int l, int heads, int dh, int threads) {
        Random r = new Random(b * 31 + l);
        Tensor q = normal(r, b, l, heads * dh), k = normal(r, b, l, heads * dh), v = normal(r, b, l, heads * dh);
        Tensor mask = Tensor.zeros(b, 1, 1, l);
        for (int i = 0; i < b; i++) {
            for (int j = l - i % 3; j < l; j++) { // trailing padding, none in the first utterance
                mask.data()[i * l + j] = 1f;
            }
        }
        Tensor upstream = normal(r, b, l, heads * dh).requiresGrad(false);
        float scale = (float) (1 / Math.sqrt(dh));
        Parallel.setThreads(threads);
        try {
            Tensor composed = composedAttention(q, k, v, mask, heads, scale);
            composed.mul(upstream).sum().backward();
            Tensor[] expected = {q.grad().copy(), k.grad().copy(), v.grad().copy()};
            q.zeroGrad();
            k.zeroGrad();
            v.zeroGrad();
            Tensor fused = Ops.attentionContext(Ops.attentionScores(q, k, mask, heads, scale), v, heads);
            close(composed, fused, 2e-6, "context");
            fused.mul(upstream).sum().backward();
            close(expected[0], q.grad(), 2e-5, "dq");
            close(expected[1], k.grad(), 2e-5, "dk");
            close(expected[2], v.grad(), 2e-5, "dv");
        } finally {
            Parallel.setThreads(Runtime.getRuntime().availableProcessors());
        }
    }

    @ParameterizedTest
    @CsvSource({"768, 768, true", "768, 768, false", "70, 33, true", "1, 5, false"})
    void layerNormEqualsTheComposedOps(int rows, int d, boolean residual) {
        Random r = new Random(rows + d);
        Tensor x = normal(r, rows, d), res = normal(r, rows, d), gamma = normal(r, d), beta = normal(r, d);
        Tensor upstream = normal(r, rows, d).requiresGrad(false);
        Tensor input = residual ? x.add(res) : x;
        Tensor composed = ttq.engine.ops.Normalize.apply(input, 1e-12f).mul(gamma).add(beta);
        composed.mul(upstream).sum().backward();
        Tensor[] expected = {x.grad().copy(), residual ? res.grad().copy() : null, gamma.grad().copy(), beta.grad().copy()};
        for (Tensor t : new Tensor[] {x, res, gamma, beta}) {
            t.zeroGrad();
        }
        Tensor fused = residual ? Ops.addLayerNorm(x, res, gamma, beta, 1e-12f) : Ops.layerNorm(x, gamma, beta, 1e-12f);
        close(composed, fused, 1e-5, "y");
        fused.mul(upstream).sum().backward();
        close(expected[0], x.grad(), 1e-5, "dx");
        if (residual) {
            close(expected[1], res.grad(), 1e-5, "dresidual");
        }
        close(expected[2], gamma.grad(), 1e-4, "dgamma");
        close(expected[3], beta.grad(), 1e-4, "dbeta");
    }

    @Test
    void layerNormGradientsDoNotDependOnTheThreadCount() {
        Random r = new Random(5);
        Tensor x = normal(r, 200, 96), gamma = normal(r, 96), beta = normal(r, 96), upstream = normal(r, 200, 96).requiresGrad(false);
        float[][] grads = new float[2][];
        for (int t = 1; t <= 2; t++) {
            Parallel.setThreads(t);
            try {
                gamma.zeroGrad();
                Ops.layerNorm(x, gamma, beta, 1e-12f).mul(upstream).sum().backward();
                grads[t - 1] = gamma.grad().data().clone();
            } finally {
                Parallel.setThreads(Runtime.getRuntime().availableProcessors());
            }
        }
        assertTrue(java.util.Arrays.equals(grads[0], grads[1]), "dgamma on 1 and 2 threads differ");
    }

    @Test
    void badShapesAreRefusedBeforeTheKernels() {
        Tensor q = Tensor.zeros(2, 4, 12), k = Tensor.zeros(2, 4, 12);
        assertThrows(IllegalArgumentException.class, () -> Ops.attentionScores(q, Tensor.zeros(2, 5, 12), null, 3, 1f));
        assertThrows(IllegalArgumentException.class, () -> Ops.attentionScores(q, k, null, 5, 1f));
        assertThrows(IllegalArgumentException.class, () -> Ops.attentionScores(q, k, Tensor.zeros(2, 3), 3, 1f));
        assertThrows(IllegalArgumentException.class, () -> Ops.attentionContext(Tensor.zeros(2, 3, 4, 3), Tensor.zeros(2, 4, 12), 3));
        assertThrows(IllegalArgumentException.class, () -> Ops.addLayerNorm(q, Tensor.zeros(2, 4, 11), Tensor.ones(12), Tensor.zeros(12), 1e-5f));
        assertThrows(IllegalArgumentException.class, () -> Ops.layerNorm(q, Tensor.ones(11), Tensor.zeros(12), 1e-5f));
    }

    @ParameterizedTest
    @CsvSource({"2359296, 8, 2", "2359296, 8, 1", "1000003, 4, 2", "37, 2, 1", "1, 8, 1"})
    void geluQuantizeEqualsGeluThenQuantize(int n, int bits, int threads) {
        Random r = new Random(n + bits);
        Tensor x = normal(r, n), scale = Tensor.wrap(new float[] {0.02f + r.nextFloat() * 0.05f}, 1).requiresGrad(true);
        Tensor upstream = normal(r, n).requiresGrad(false);
        Parallel.setThreads(threads);
        try {
            Tensor composed = Ops.quantize(x.gelu(), scale, bits, 0.5f);
            composed.mul(upstream).sum().backward();
            Tensor dx = x.grad().copy(), ds = scale.grad().copy();
            x.zeroGrad();
            scale.zeroGrad();
            Tensor fused = Ops.geluQuantize(x, scale, bits, 0.5f);
            org.junit.jupiter.api.Assertions.assertArrayEquals(composed.data(), fused.data(), "forward: bit for bit");
            fused.mul(upstream).sum().backward();
            close(dx, x.grad(), 1e-6, "dx");
            close(ds, scale.grad(), 1e-5, "dscale");
        } finally {
            Parallel.setThreads(Runtime.getRuntime().availableProcessors());
        }
    }
}
