package ttq.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static ttq.engine.optim.OptimTestSupport.param;
import static ttq.engine.optim.OptimTestSupport.setGrad;

import java.util.List;
import org.junit.jupiter.api.Test;
import ttq.engine.Tensor;
import ttq.kernels.Parallel;

class GradientClippingTest {

    @Test
    void clipsAThreeFourFiveNormAcrossTensors() {
        Tensor a = param(0f);
        Tensor b = param(0f, 0f);
        Tensor none = param(7f); // no gradient: skipped
        setGrad(a, 3f);
        setGrad(b, 0f, -4f);
        double norm = GradientClipping.clipGlobalNorm(List.of(a, none, b), 1f);
        assertEquals(5.0, norm, 0.0);
        // coef = 1 / (5 + 1e-6): grads become [0.6, 0, -0.8] up to that epsilon
        double coef = 1.0 / (5.0 + 1e-6);
        assertEquals(3 * coef, a.grad().data()[0], 1e-7);
        assertEquals(0f, b.grad().data()[0]);
        assertEquals(-4 * coef, b.grad().data()[1], 1e-7);
        assertNull(none.grad());
        assertEquals(1.0, GradientClipping.globalNorm(List.of(a, b)), 1e-6);
    }

    @Test
    void leavesGradientsAloneUnderTheLimit() {
        Tensor a = param(0f, 0f);
        setGrad(a, 3f, 4f);
        assertEquals(5.0, GradientClipping.clipGlobalNorm(List.of(a), 10f), 0.0);
        assertArrayEquals(new float[] {3f, 4f}, a.grad().data());
        // exactly at the limit: coef = 5 / (5 + 1e-6) < 1 scales by a hair, as PyTorch does
        GradientClipping.clipGlobalNorm(List.of(a), 5f);
        assertEquals(3f, a.grad().data()[0], 1e-6f);
    }

    @Test
    void tiedTensorCountsOnceAndNormIsComputedInDouble() {
        Tensor a = param(0f, 0f);
        setGrad(a, 3f, 4f);
        assertEquals(5.0, GradientClipping.globalNorm(List.of(a, a)), 0.0);
        GradientClipping.clipGlobalNorm(List.of(a, a), 2.5f);
        assertEquals(1.5f, a.grad().data()[0], 1e-6f); // scaled once, not twice

        // 1e20^2 overflows float but not double
        Tensor big = param(0f, 0f);
        setGrad(big, 3e20f, 4e20f);
        assertEquals(5e20, GradientClipping.globalNorm(List.of(big)), 5e20 * 1e-7);
    }

    @Test
    void largeGradientNormIsDeterministicAndCorrect() {
        int n = 5 * Parallel.GRAIN + 3;
        float[] g = new float[n];
        java.util.Arrays.fill(g, 0.5f);
        Tensor p = Tensor.zeros(n).requiresGrad(true);
        setGrad(p, g);
        double norm = GradientClipping.globalNorm(List.of(p));
        assertEquals(Math.sqrt(n * 0.25), norm, 1e-9);
        assertEquals(norm, GradientClipping.globalNorm(List.of(p)), 0.0);
    }

    @Test
    void nonFiniteNormLeavesGradientsAlone() {
        Tensor a = param(0f, 0f);
        setGrad(a, Float.NaN, 1f);
        assertEquals(Double.NaN, GradientClipping.clipGlobalNorm(List.of(a), 1f));
        assertEquals(1f, a.grad().data()[1]);
        setGrad(a, Float.POSITIVE_INFINITY, 1f);
        assertEquals(Double.POSITIVE_INFINITY, GradientClipping.clipGlobalNorm(List.of(a), 1f));
        assertEquals(1f, a.grad().data()[1]);
    }

    @Test
    void rejectsBadMaxNormAndHandlesNoGradients() {
        Tensor a = param(0f);
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipGlobalNorm(List.of(a), 0f));
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipGlobalNorm(List.of(a), Float.NaN));
        assertEquals(0.0, GradientClipping.clipGlobalNorm(List.of(a), 1f));
        assertEquals(0.0, GradientClipping.clipGlobalNorm(List.of(), 1f));
    }
}
