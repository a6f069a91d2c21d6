package ttq.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import ttq.engine.Tensor;

class LrScheduleTest {

    @Test
    void constant() {
        ConstantLr c = new ConstantLr(0.01f);
        assertEquals(0.01f, c.lr(0));
        assertEquals(0.01f, c.lr(1_000_000));
        assertThrows(IllegalArgumentException.class, () -> c.lr(-1));
        assertThrows(IllegalArgumentException.class, () -> new ConstantLr(-0.1f));
        assertThrows(IllegalArgumentException.class, () -> new ConstantLr(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> new ConstantLr(Float.POSITIVE_INFINITY));
    }

    @Test
    void warmupLinearDecayAtBoundaries() {
        // base 1e-3, warmup 10, total 110 (decay over 100 steps)
        WarmupLinearDecay s = new WarmupLinearDecay(1e-3f, 10, 110);
        assertEquals(0f, s.lr(0));                                  // first update: 0 (as HF)
        assertEquals((float) (1e-3f * (1 / 10.0)), s.lr(1));
        assertEquals((float) (1e-3f * (5 / 10.0)), s.lr(5));
        assertEquals((float) (1e-3f * (9 / 10.0)), s.lr(9));
        assertEquals(1e-3f, s.lr(10));                              // peak: (110 - 10) / 100 = 1
        assertEquals((float) (1e-3f * (99 / 100.0)), s.lr(11));
        assertEquals((float) (1e-3f * (50 / 100.0)), s.lr(60));
        assertEquals((float) (1e-3f * (1 / 100.0)), s.lr(109));
        assertEquals(0f, s.lr(110));                                // total: 0
        assertEquals(0f, s.lr(500));                                // beyond: clamped at 0
    }

    @Test
    void warmupLinearDecayEdgeConfigurations() {
        WarmupLinearDecay noWarmup = new WarmupLinearDecay(2f, 0, 4);
        assertEquals(2f, noWarmup.lr(0));
        assertEquals(1.5f, noWarmup.lr(1));
        assertEquals(0.5f, noWarmup.lr(3));
        assertEquals(0f, noWarmup.lr(4));
        WarmupLinearDecay onlyWarmup = new WarmupLinearDecay(2f, 4, 4);
        assertEquals(0f, onlyWarmup.lr(0));
        assertEquals(1.5f, onlyWarmup.lr(3));
        assertEquals(0f, onlyWarmup.lr(4));
        assertEquals(0f, onlyWarmup.lr(5));
    }

    @Test
    void warmupLinearDecayRejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new WarmupLinearDecay(-1f, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> new WarmupLinearDecay(Float.NaN, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> new WarmupLinearDecay(1f, -1, 10));
        assertThrows(IllegalArgumentException.class, () -> new WarmupLinearDecay(1f, 11, 10));
        assertThrows(IllegalArgumentException.class, () -> new WarmupLinearDecay(1f, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new WarmupLinearDecay(1f, 0, -5));
        assertThrows(IllegalArgumentException.class, () -> new WarmupLinearDecay(1f, 2, 10).lr(-1));
    }

    @Test
    void applyToUsesTheOptimizersStepCount() {
        Tensor p = Tensor.of(new float[] {0f}, 1).requiresGrad(true);
        Sgd sgd = new Sgd(List.of(p), 5f);
        WarmupLinearDecay s = new WarmupLinearDecay(1f, 2, 4);
        float[] seen = new float[5];
        for (int i = 0; i < 5; i++) {
            seen[i] = s.applyTo(sgd);
            assertEquals(seen[i], sgd.learningRate());
            sgd.step();
        }
        // steps 0..4: 0, 0.5, 1, 0.5, 0
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0f, 0.5f, 1f, 0.5f, 0f}, seen);
    }
}
