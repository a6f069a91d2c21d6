package ttq.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static ttq.engine.optim.OptimTestSupport.assertRelative;
import static ttq.engine.optim.OptimTestSupport.param;
import static ttq.engine.optim.OptimTestSupport.setGrad;

import java.util.List;
import org.junit.jupiter.api.Test;
import ttq.engine.Tensor;

class SgdTest {
    private static final double REL = 1e-6;

    @Test
    void momentumThreeStepsByHand() {
        // lr 0.1, momentum 0.9, p0 = [1, -2], the same gradient g = [0.5, 1] every step.
        Tensor p = param(1f, -2f);
        Sgd sgd = new Sgd(List.of(p), 0.1f, 0.9f, 0f, false);

        // step 1: buf = g = [0.5, 1];            p = [1 - 0.1*0.5, -2 - 0.1*1]       = [0.95, -2.1]
        setGrad(p, 0.5f, 1f);
        sgd.step();
        assertRelative(new double[] {0.95, -2.1}, p, REL);
        // step 2: buf = 0.9*[0.5, 1] + [0.5, 1] = [0.95, 1.9]; p = [0.95 - 0.095, -2.1 - 0.19] = [0.855, -2.29]
        setGrad(p, 0.5f, 1f);
        sgd.step();
        assertRelative(new double[] {0.855, -2.29}, p, REL);
        // step 3: buf = 0.9*[0.95, 1.9] + [0.5, 1] = [1.355, 2.71]; p = [0.855 - 0.1355, -2.29 - 0.271]
        setGrad(p, 0.5f, 1f);
        sgd.step();
        assertRelative(new double[] {0.7195, -2.561}, p, REL);
        assertEquals(3, sgd.stepCount());
    }

    @Test
    void nesterovWithWeightDecayByHand() {
        // lr 0.2, momentum 0.5, weight decay 0.1, Nesterov; p0 = [1, -2].
        Tensor p = param(1f, -2f);
        Sgd sgd = new Sgd(List.of(p), 0.2f, 0.5f, 0.1f, true);

        // step 1: g = [1, 0.5]; d = g + 0.1*p = [1.1, 0.3]; buf = d = [1.1, 0.3]
        //         d' = d + 0.5*buf = [1.65, 0.45]; p = [1 - 0.33, -2 - 0.09] = [0.67, -2.09]
        setGrad(p, 1f, 0.5f);
        sgd.step();
        assertRelative(new double[] {0.67, -2.09}, p, REL);
        // step 2: g = [-1, 2]; d = [-1 + 0.067, 2 - 0.209] = [-0.933, 1.791]
        //         buf = 0.5*[1.1, 0.3] + d = [-0.383, 1.941]; d' = d + 0.5*buf = [-1.1245, 2.7615]
        //         p = [0.67 + 0.2249, -2.09 - 0.5523] = [0.8949, -2.6423]
        setGrad(p, -1f, 2f);
        sgd.step();
        assertRelative(new double[] {0.8949, -2.6423}, p, REL);
        // step 3: g = [0.5, 0.5]; d = [0.5 + 0.08949, 0.5 - 0.26423] = [0.58949, 0.23577]
        //         buf = 0.5*[-0.383, 1.941] + d = [0.39799, 1.20627]; d' = d + 0.5*buf = [0.788485, 0.838905]
        //         p = [0.8949 - 0.157697, -2.6423 - 0.167781] = [0.737203, -2.810081]
        setGrad(p, 0.5f, 0.5f);
        sgd.step();
        assertRelative(new double[] {0.737203, -2.810081}, p, REL);
    }

    @Test
    void plainSgdWithWeightDecayByHand() {
        // lr 0.5, no momentum, wd 0.2: p = p - 0.5*(g + 0.2*p)
        Tensor p = param(2f, -4f);
        Sgd sgd = new Sgd(List.of(p), 0.5f, 0f, 0.2f, false);
        setGrad(p, 1f, -1f);
        sgd.step();
        // [2 - 0.5*(1 + 0.4), -4 - 0.5*(-1 - 0.8)] = [1.3, -3.1]
        assertRelative(new double[] {1.3, -3.1}, p, REL);
        assertTrue(sgd.state().keySet().stream().noneMatch(k -> k.startsWith("buf.")), "no momentum buffer without momentum");
    }

    @Test
    void parameterWithoutGradientIsSkipped() {
        Tensor a = param(1f, 2f);
        Tensor b = param(3f);
        Sgd sgd = new Sgd(List.of(a, b), 1f, 0.9f, 0f, false);
        setGrad(a, 1f, 1f);
        sgd.step();
        assertRelative(new double[] {0, 1}, a, 0);
        assertEquals(3f, b.data()[0]);
        assertEquals(1, sgd.parameterStepCount(0));
        assertEquals(0, sgd.parameterStepCount(1));
        // b gets its first update at global step 2: its buffer starts as its gradient, buf = [2]
        a.zeroGrad();
        setGrad(b, 2f);
        sgd.step();
        assertEquals(1f, b.data()[0]);
        assertEquals(2, sgd.stepCount());
    }

    @Test
    void rejectsBadArguments() {
        Tensor p = param(1f);
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(p), -1f));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(p), Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(p), 0.1f, -0.5f, 0f, false));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(p), 0.1f, 0.9f, -1f, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Sgd(List.of(p), 0.1f, 0f, 0f, true));
        assertTrue(e.getMessage().contains("Nesterov"), e.getMessage());
    }
}
