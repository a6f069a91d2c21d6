package ttq.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import ttq.engine.Tensor;
import ttq.engine.quant.LearnedScaleQuantizer;

class LogDomainStepTest {
    static Tensor scalar(float v, float grad) {
        Tensor p = Tensor.wrap(new float[] {v}, 1).requiresGrad(true).optimizeInLogDomain(true);
        p.mul(grad).sum().backward();
        return p;
    }

    @Test
    void adamStepsTheLogOfTheValue() {
        // first Adam step on theta = log p: m^ = g_theta, v^ = g_theta^2, so theta moves by lr (eps aside)
        for (float wd : new float[] {0f, 0.1f}) {
            Tensor p = scalar(0.005f, 2f);
            new Adam(List.of(p), 1e-2f, 0.9f, 0.98f, 1e-12f, wd).step();
            assertEquals(0.005 * Math.exp(-1e-2), p.data()[0], 1e-8, "relative step, no weight decay (wd " + wd + ")");
        }
        Tensor plain = Tensor.wrap(new float[] {0.005f}, 1).requiresGrad(true);
        plain.mul(2f).sum().backward();
        new Adam(List.of(plain), 1e-2f, 0.9f, 0.98f, 1e-12f, 0f).step();
        assertEquals(0.005 - 1e-2, plain.data()[0], 1e-7, "an unmarked parameter steps by lr: here below zero");
    }

    @Test
    void sgdUsesTheChainRuleGradient() {
        Tensor p = scalar(0.5f, 3f);
        new Sgd(List.of(p), 0.1f, 0f, 0f, false).step();
        assertEquals(0.5 * Math.exp(-0.1 * 3 * 0.5), p.data()[0], 1e-7); // d/dtheta = p dL/dp
    }

    @Test
    void aLearnedScaleCannotBeSteppedToZero() {
        LearnedScaleQuantizer q = new LearnedScaleQuantizer(8);
        assertTrue(q.scale().isOptimizedInLogDomain());
        q.setScale(0.005f);
        Adam adam = new Adam(List.of(q.scale()), 1e-2f, 0.9f, 0.98f, 1e-8f, 0f);
        for (int step = 0; step < 1000; step++) { // always pushed down, as hard as Adam pushes
            adam.zeroGrad();
            q.scale().mul(1f).sum().backward();
            adam.step();
        }
        double s = q.scale().data()[0]; // at most lr per step in log: under ten e-folds (6.8 here), still positive
        assertTrue(s > 0.005 * Math.exp(-10.5) && s < 0.005 * Math.exp(-5), "scale " + s);
        assertTrue(!new LearnedScaleQuantizer(8, LearnedScaleQuantizer.Init.MAX, LearnedScaleQuantizer.Calibration.EMA, false, 0.9f)
                .scale().isOptimizedInLogDomain(), "an EMA scale is no parameter");
    }
}
