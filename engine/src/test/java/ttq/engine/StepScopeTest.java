package ttq.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import ttq.engine.optim.Adam;

class StepScopeTest {
    private static final int BIG = StepScope.MIN_POOLED + 17;

    @Test
    void outputsReuseThePreviousScopesArrays() {
        Tensor a = Tensor.randn(1, BIG), b = Tensor.randn(2, BIG);
        float[] first;
        try (StepScope s = StepScope.open()) {
            first = a.add(b).data();
        }
        try (StepScope s = StepScope.open()) {
            Tensor c = a.add(b);
            assertSame(first, c.data());
            // reused storage holds this step's values, not the last one's
            for (int i = 0; i < BIG; i++) {
                assertEquals(a.data()[i] + b.data()[i], c.data()[i]);
            }
        }
        assertNotSame(first, a.add(b).data(), "outside a scope every output is new");
    }

    @Test
    void tensorsMadeInAScopeAreReleasedWhenItCloses() {
        Tensor a = Tensor.randn(1, BIG);
        Tensor kept;
        Tensor view;
        float value;
        try (StepScope s = StepScope.open()) {
            kept = a.mul(2f);
            view = kept.reshape(1, BIG);
            value = kept.sum().item();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, kept::data);
        assertTrue(e.getMessage().contains("released"), e.getMessage());
        assertThrows(IllegalStateException.class, view::data);
        assertThrows(IllegalStateException.class, () -> kept.add(1f));
        assertEquals(BIG, kept.numel());
        assertTrue(kept.toString().contains("released"));
        assertTrue(Float.isFinite(value));
        assertFalse(a.toString().contains("released"), "inputs made outside the scope stay");
        assertEquals(BIG, a.data().length);
    }

    @Test
    void smallOutputsAreNotPooledAndStayUsable() {
        Tensor a = Tensor.randn(1, 8);
        Tensor b;
        try (StepScope s = StepScope.open()) {
            b = a.mul(3f);
        }
        assertEquals(a.data()[0] * 3f, b.data()[0]);
    }

    @Test
    void trainingInsideScopesIsBitIdenticalToTrainingWithout() {
        float[] plain = train(false), scoped = train(true);
        assertArrayEquals(plain, scoped);
    }

    /** Four Adam steps of a 2-layer MLP on [64, 300] inputs (activations big enough to be pooled). */
    private static float[] train(boolean scoped) {
        Random r = new Random(7);
        Tensor w1 = Tensor.normal(r, 0.05f, 300, 300).requiresGrad(true);
        Tensor w2 = Tensor.normal(r, 0.05f, 300, 300).requiresGrad(true);
        Tensor x = Tensor.normal(r, 1f, 64, 300);
        Tensor target = Tensor.normal(r, 1f, 64, 300);
        Adam opt = new Adam(List.of(w1, w2), 1e-2f);
        float[] losses = new float[4];
        for (int step = 0; step < 4; step++) {
            opt.zeroGrad();
            StepScope s = scoped ? StepScope.open() : null;
            try {
                Tensor h = Ops.matmul(x, false, w1, false).gelu();
                Tensor loss = Ops.mse(Ops.matmul(h, false, w2, false), target);
                losses[step] = loss.item();
                loss.backward();
                opt.step();
            } finally {
                if (s != null) {
                    s.close();
                }
            }
            assertTrue(w1.grad().data().length == 300 * 300, "gradients outlive the scope");
        }
        float[] out = new float[4 + 2 * 300 * 300];
        System.arraycopy(losses, 0, out, 0, 4);
        System.arraycopy(w1.data(), 0, out, 4, 300 * 300);
        System.arraycopy(w2.data(), 0, out, 4 + 300 * 300, 300 * 300);
        return out;
    }

    @Test
    void leafGradientsOutliveTheirScope() {
        Tensor x = Tensor.randn(3, BIG).requiresGrad(true);
        try (StepScope s = StepScope.open()) {
            x.mul(2f).backward(Tensor.full(1f, BIG));
        }
        for (float g : x.grad().data()) {
            assertEquals(2f, g);
        }
        try (StepScope s = StepScope.open()) {
            x.mul(5f).backward(Tensor.full(1f, BIG));
        }
        assertEquals(7f, x.grad().data()[BIG - 1], "accumulates across scopes");
        float[] kept = x.grad().data();
        x.zeroGrad();
        try (StepScope s = StepScope.open()) {
            Tensor y = x.mul(3f);
            y.backward(Tensor.full(1f, BIG));
            assertNotSame(kept, y.data(), "the old gradient's storage may serve as an output, never while in use");
        }
        for (float g : x.grad().data()) {
            assertEquals(3f, g);
        }
    }

    @Test
    void nestedScopesReleaseOnlyTheirOwnTensors() {
        Tensor a = Tensor.randn(1, BIG);
        try (StepScope outer = StepScope.open()) {
            Tensor o = a.mul(2f);
            Tensor i;
            try (StepScope inner = StepScope.open()) {
                i = o.add(1f);
            }
            assertThrows(IllegalStateException.class, i::data);
            assertEquals(a.data()[5] * 2f, o.data()[5], "the outer scope's tensors live until it closes");
        }
        assertFalse(StepScope.active());
    }

    @Test
    void closingOutOfOrderIsAnError() {
        StepScope outer = StepScope.open();
        StepScope inner = StepScope.open();
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("out of order"), e.getMessage());
        inner.close();
        outer.close();
        outer.close(); // closing twice is harmless
        assertFalse(StepScope.active());
    }

    @Test
    void sizesNoLongerUsedLeaveThePool() {
        Tensor a = Tensor.randn(1, BIG);
        try (StepScope s = StepScope.open()) {
            a.mul(2f);
        }
        assertTrue(StepScope.pooledArrays() >= 1);
        Tensor small = Tensor.randn(2, 4);
        for (int i = 0; i < 6; i++) {
            try (StepScope s = StepScope.open()) {
                small.mul(2f);
            }
        }
        assertEquals(0, StepScope.pooledArrays(), "array sizes unused for several scopes are dropped");
    }

    @Test
    void thePoolHoldsAtMostWhatTheLastScopeUsed() {
        // batches of a different shape every step (as ATIS batches of varying length) must not pile up
        Tensor[] inputs = new Tensor[12];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = Tensor.randn(i, BIG + 100 * i);
        }
        for (Tensor in : inputs) {
            try (StepScope s = StepScope.open()) {
                in.mul(2f).add(1f).exp();
                in.add(3f);
            }
            assertTrue(StepScope.pooledFloats() <= 4L * in.numel(), "pool " + StepScope.pooledFloats() + " floats after a scope of "
                    + 4L * in.numel());
        }
        try (StepScope s = StepScope.open()) {
            Tensor.randn(99, 8).mul(2f); // a scope that pools nothing empties the pool
        }
        assertEquals(0, StepScope.pooledFloats());
    }

    @Test
    void aStepOfNewShapesDoesNotKeepTheLastStepsArraysBesideItsOwn() {
        Tensor a = Tensor.randn(8, BIG), b = Tensor.randn(8, BIG + 64);
        try (StepScope s = StepScope.open()) {
            a.mul(2f).add(1f).exp();
        }
        assertEquals(3L * a.numel(), StepScope.pooledFloats());
        try (StepScope s = StepScope.open()) {
            Tensor x = b.mul(2f);
            // the new array (a little larger than a's) and two of a's would exceed the last step's three: one of a's stays
            assertEquals(a.numel(), StepScope.pooledFloats());
            x.add(1f).exp();
            assertEquals(0, StepScope.pooledFloats(), "the last step's arrays are let go once this step's own fill its size");
        }
        try (StepScope s = StepScope.open()) {
            Tensor y = b.mul(2f).add(1f);
            assertEquals(b.numel(), StepScope.pooledFloats(), "arrays of sizes this step uses are reused, not dropped");
            y.exp();
        }
    }
}
