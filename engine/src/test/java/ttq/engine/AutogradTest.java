package ttq.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AutogradTest {
    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        x.mul(x).sum().backward();
        assertArrayEquals(new float[] {2, 4, 6}, x.grad().data());
        x.mul(3f).sum().backward();
        assertArrayEquals(new float[] {5, 7, 9}, x.grad().data());
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void explicitUpstreamGradient() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        x.mul(2f).backward(Tensor.of(new float[] {10, 100}, 2));
        assertArrayEquals(new float[] {20, 200}, x.grad().data());
        assertThrows(IllegalArgumentException.class, () -> x.mul(2f).backward(Tensor.zeros(3)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.mul(2f).backward());
        assertTrue(e.getMessage().contains("one-element"), e.getMessage());
    }

    @Test
    void leafGradientsNeverShareArraysWithEachOtherOrTheCaller() {
        // Add hands the same upstream array to both inputs; each leaf must still own its gradient
        Tensor a = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {3, 4}, 2).requiresGrad(true);
        Tensor gy = Tensor.of(new float[] {1, 1}, 2);
        a.add(b).backward(gy);
        assertTrue(a.grad().data() != b.grad().data());
        assertTrue(a.grad().data() != gy.data());
        assertTrue(b.grad().data() != gy.data());
        a.grad().data()[0] = 100f;
        assertEquals(1f, b.grad().data()[0]);
        assertEquals(1f, gy.data()[0]);
        // a second pass accumulates in place into the leaf's own array
        Tensor c = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        c.mul(2f).sum().backward();
        c.mul(3f).sum().backward();
        assertArrayEquals(new float[] {5, 5}, c.grad().data());
    }

    @Test
    void noGradRecordsNothingAndRestores() {
        Tensor x = Tensor.ones(2).requiresGrad(true);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor y = x.mul(2f);
            assertFalse(y.requiresGrad());
            assertNull(y.gradFn());
            try (GradMode.Scope inner = GradMode.noGrad()) {
                assertFalse(GradMode.isEnabled());
            }
            assertFalse(GradMode.isEnabled());
        }
        assertTrue(GradMode.isEnabled());
        assertTrue(x.mul(2f).requiresGrad());
    }

    @Test
    void detachCutsTheGraphButSharesValues() {
        Tensor x = Tensor.ones(2).requiresGrad(true);
        Tensor y = x.mul(3f);
        Tensor d = y.detach();
        assertFalse(d.requiresGrad());
        assertSame(y.data(), d.data());
        d.mul(x).sum().backward();
        assertArrayEquals(new float[] {3, 3}, x.grad().data()); // only the path through x, not through d
    }

    @Test
    void graphIsFreedAfterBackward() {
        Tensor x = Tensor.ones(2).requiresGrad(true);
        Tensor loss = x.exp().sum();
        loss.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("second time"), e.getMessage());
    }

    @Test
    void deepChainsDoNotOverflowTheStack() {
        Tensor x = Tensor.scalar(1f).requiresGrad(true);
        Tensor y = x;
        for (int i = 0; i < 100_000; i++) {
            y = y.mul(1f);
        }
        y.backward();
        assertEquals(1f, x.grad().item());
    }

    @Test
    void backwardOnConstantIsAClearError() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Tensor.ones(1).mul(2f).backward());
        assertTrue(e.getMessage().contains("does not require grad"), e.getMessage());
    }

    @Test
    void requiresGradCannotBeClearedOnNonLeaf() {
        Tensor y = Tensor.ones(1).requiresGrad(true).mul(2f);
        assertThrows(IllegalStateException.class, () -> y.requiresGrad(false));
    }

    @Test
    void shapeErrorsNameTheOp() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(4, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
        assertTrue(e.getMessage().startsWith("add:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.matmul(b));
        assertTrue(e.getMessage().startsWith("matmul:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.reshape(7));
        assertTrue(e.getMessage().startsWith("reshape:"), e.getMessage());
        IndexOutOfBoundsException ie = assertThrows(IndexOutOfBoundsException.class, () -> Ops.indexSelect(a, 0, 0, 2));
        assertTrue(ie.getMessage().contains("index 2 at position 1"), ie.getMessage());
        ie = assertThrows(IndexOutOfBoundsException.class, () -> Ops.crossEntropy(a, new int[] {0, 3}, -100));
        assertTrue(ie.getMessage().contains("target 3 at row 1"), ie.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(new float[5], 2, 3));
    }

    @Test
    void dropoutIsReproducibleForASeedAndIdentityInEval() {
        Tensor x = Tensor.ones(1000);
        Tensor a = Ops.dropout(x, 0.3f, true, new Random(5));
        Tensor b = Ops.dropout(x, 0.3f, true, new Random(5));
        assertArrayEquals(a.data(), b.data());
        int zeros = 0;
        for (float v : a.data()) {
            if (v == 0f) {
                zeros++;
            } else {
                assertEquals(1f / 0.7f, v, 1e-6f);
            }
        }
        assertTrue(zeros > 230 && zeros < 370, "about 30% dropped, got " + zeros);
        assertSame(x, Ops.dropout(x, 0.3f, false, new Random(5)));
    }

    @Test
    void matmulIntoAnOutputTensor() {
        Tensor a = Tensor.randn(1, 3, 4), b = Tensor.randn(2, 4, 5), out = Tensor.zeros(3, 5);
        Ops.matmul(a, b, out);
        assertTrue(out.maxAbsDiff(a.matmul(b)) == 0f);
        assertThrows(IllegalArgumentException.class, () -> Ops.matmul(a, b, Tensor.zeros(5, 3)));
        Tensor g = Tensor.randn(1, 3, 4).requiresGrad(true);
        assertThrows(IllegalStateException.class, () -> Ops.matmul(g, b, out));
        Tensor sq = Tensor.randn(3, 4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.matmul(sq, Tensor.randn(4, 4, 4), sq));
        assertTrue(e.getMessage().contains("shares storage"), e.getMessage());
        // empty inner or outer dimensions give zeros / empty results
        assertArrayEquals(new float[6], Tensor.zeros(2, 0).matmul(Tensor.zeros(0, 3)).data());
        assertArrayEquals(new int[] {2, 0}, Tensor.zeros(2, 3).matmul(Tensor.zeros(3, 0)).shape());
    }

    @Test
    void largeElementwiseOpsSplitOverCoresGiveTheSameValues() {
        int n = 1 << 18;
        Tensor a = Tensor.randn(3, n), b = Tensor.randn(4, n);
        Tensor sum = a.add(b);
        for (int i = 0; i < n; i += 997) {
            assertEquals(a.data()[i] + b.data()[i], sum.data()[i]);
        }
        Tensor g = a.gelu();
        Tensor small = Tensor.of(new float[] {a.data()[12345]}, 1).gelu();
        assertEquals(small.item(), g.data()[12345]);
    }
}
