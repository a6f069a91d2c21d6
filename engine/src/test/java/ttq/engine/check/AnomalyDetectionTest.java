package ttq.engine.check;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import ttq.engine.Autograd;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;

/** Anomaly detection names the op, the module and the pass of the first NaN or infinity, and stays silent on finite graphs. */
class AnomalyDetectionTest {
    /** A module computing log(x) * w, so that a negative input makes the Log op produce NaN inside "inner". */
    static final class LogScale extends Module {
        final Tensor w = parameter("w", Tensor.ones(3));

        Tensor forward(Tensor x) {
            try (Profiler.Scope s = Profiler.module(this)) {
                return x.log().mul(w);
            }
        }
    }

    static final class Outer extends Module {
        final LogScale inner = module("inner", new LogScale());
    }

    @AfterEach
    void off() {
        Autograd.detectAnomaly(false);
    }

    @Test
    void aForwardNanNamesTheOpAndModule() {
        Outer root = new Outer();
        AnomalyDetection.enable(root);
        Tensor x = Tensor.wrap(new float[] {1f, -1f, 2f}, 3).requiresGrad(true);
        AnomalyException e = assertThrows(AnomalyException.class, () -> root.inner.forward(x));
        assertEquals("Log", e.op());
        assertEquals("inner", e.module());
        assertEquals("forward", e.pass());
        assertTrue(e.getMessage().contains("holds NaN at flat index 1") && e.getMessage().contains("[3]"), e.getMessage());
    }

    @Test
    void anInfiniteGradientNamesTheBackwardOp() {
        Autograd.detectAnomaly(true);
        Tensor x = Tensor.wrap(new float[] {0f, 4f}, 2).requiresGrad(true);
        Tensor y = x.sqrt().sum(); // finite forward; d sqrt(x)/dx = 1 / (2 sqrt(0)) is infinite
        AnomalyException e = assertThrows(AnomalyException.class, y::backward);
        assertEquals("Sqrt", e.op());
        assertEquals("backward", e.pass());
        assertTrue(e.getMessage().contains("+Infinity"), e.getMessage());
    }

    @Test
    void offByDefaultAndSilentOnFiniteGraphs() {
        Tensor x = Tensor.wrap(new float[] {1f, -1f}, 2).requiresGrad(true);
        assertDoesNotThrow(() -> x.log()); // NaN passes unchecked when detection is off
        Autograd.detectAnomaly(true);
        Tensor z = Tensor.wrap(new float[] {1f, 2f}, 2).requiresGrad(true);
        assertDoesNotThrow(() -> z.log().mul(z).sum().backward());
        assertTrue(Float.isFinite(z.grad().data()[0]));
    }
}
