package ttq.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static ttq.engine.optim.OptimTestSupport.assertRelative;
import static ttq.engine.optim.OptimTestSupport.param;
import static ttq.engine.optim.OptimTestSupport.setGrad;

import java.util.List;
import org.junit.jupiter.api.Test;
import ttq.engine.Tensor;

/**
 * Adam and AdamW against values worked out by hand. Setting for all: lr 0.1, betas (0.9, 0.999),
 * eps 1e-8, p0 = [1, -2], gradients g1 = [0.5, -1] then g2 = [0.25, 2]. Bias corrections:
 * t = 1: 1 - 0.9 = 0.1 and 1 - 0.999 = 0.001; t = 2: 1 - 0.81 = 0.19 and 1 - 0.998001 = 0.001999.
 */
class AdamTest {
    private static final double REL = 1e-6;

    @Test
    void adamTwoStepsByHand() {
        Tensor p = param(1f, -2f);
        Adam adam = new Adam(List.of(p), 0.1f, 0.9f, 0.999f, 1e-8f, 0f);

        // step 1: m = 0.1*g1 = [0.05, -0.1]; v = 0.001*g1^2 = [0.00025, 0.001]
        //         mhat = m/0.1 = [0.5, -1]; sqrt(vhat) = sqrt(v/0.001) = [0.5, 1]
        //         p = [1 - 0.1*0.5/(0.5 + 1e-8), -2 + 0.1*1/(1 + 1e-8)] = [0.900000002, -1.900000001]
        setGrad(p, 0.5f, -1f);
        adam.step();
        double p10 = 1 - 0.1 * 0.5 / (0.5 + 1e-8);
        double p11 = -2 + 0.1 * 1 / (1 + 1e-8);
        assertRelative(new double[] {p10, p11}, p, REL);

        // step 2: m = 0.9*[0.05, -0.1] + 0.1*[0.25, 2] = [0.07, 0.11]
        //         v = 0.999*[0.00025, 0.001] + 0.001*[0.0625, 4] = [0.00031225, 0.004999]
        //         p -= 0.1 * (m/0.19) / (sqrt(v/0.001999) + 1e-8)  ->  [0.80678204, -1.93661035]
        setGrad(p, 0.25f, 2f);
        adam.step();
        double p20 = p10 - 0.1 * (0.07 / 0.19) / (Math.sqrt(0.00031225 / 0.001999) + 1e-8);
        double p21 = p11 - 0.1 * (0.11 / 0.19) / (Math.sqrt(0.004999 / 0.001999) + 1e-8);
        assertRelative(new double[] {p20, p21}, p, REL);
        assertRelative(new double[] {0.8067820404774624, -1.9366103534720749}, p, REL);
    }

    @Test
    void adamWithL2WeightDecayTwoStepsByHand() {
        Tensor p = param(1f, -2f);
        Adam adam = new Adam(List.of(p), 0.1f, 0.9f, 0.999f, 1e-8f, 0.1f);

        // step 1: g = g1 + 0.1*p0 = [0.5 + 0.1, -1 - 0.2] = [0.6, -1.2]
        //         m = [0.06, -0.12]; v = 0.001*[0.36, 1.44] = [0.00036, 0.00144]
        //         p = [1 - 0.1*0.6/(0.6 + 1e-8), -2 + 0.1*1.2/(1.2 + 1e-8)]
        setGrad(p, 0.5f, -1f);
        adam.step();
        double p10 = 1 - 0.1 * 0.6 / (0.6 + 1e-8);
        double p11 = -2 + 0.1 * 1.2 / (1.2 + 1e-8);
        assertRelative(new double[] {p10, p11}, p, REL);

        // step 2: g = g2 + 0.1*p1 = [0.25 + 0.1*p10, 2 + 0.1*p11] (about [0.34, 1.81])
        double g0 = 0.25 + 0.1 * p10;
        double g1 = 2 + 0.1 * p11;
        double m0 = 0.9 * 0.06 + 0.1 * g0;
        double m1 = 0.9 * -0.12 + 0.1 * g1;
        double v0 = 0.999 * 0.00036 + 0.001 * g0 * g0;
        double v1 = 0.999 * 0.00144 + 0.001 * g1 * g1;
        setGrad(p, 0.25f, 2f);
        adam.step();
        double p20 = p10 - 0.1 * (m0 / 0.19) / (Math.sqrt(v0 / 0.001999) + 1e-8);
        double p21 = p11 - 0.1 * (m1 / 0.19) / (Math.sqrt(v1 / 0.001999) + 1e-8);
        assertRelative(new double[] {p20, p21}, p, REL);
        assertRelative(new double[] {0.8050097658613199, -1.9250178784643248}, p, REL);
    }

    @Test
    void adamWTwoStepsByHand() {
        Tensor p = param(1f, -2f);
        AdamW adamW = new AdamW(List.of(p), 0.1f, 0.9f, 0.999f, 1e-8f, 0.1f);

        // PyTorch AdamW: p = p*(1 - lr*wd) = 0.99*p, then the plain Adam update (moments of the raw g).
        // step 1: Adam update as adamTwoStepsByHand: [0.1*0.5/(0.5 + 1e-8), -0.1*1/(1 + 1e-8)]
        //         p = [0.99 - 0.099999998, -1.98 + 0.099999999] = [0.890000002, -1.880000001]
        setGrad(p, 0.5f, -1f);
        adamW.step();
        double p10 = 0.99 * 1 - 0.1 * 0.5 / (0.5 + 1e-8);
        double p11 = 0.99 * -2 + 0.1 * 1 / (1 + 1e-8);
        assertRelative(new double[] {p10, p11}, p, REL);

        // step 2: same moments as plain Adam: m = [0.07, 0.11], v = [0.00031225, 0.004999]
        setGrad(p, 0.25f, 2f);
        adamW.step();
        double p20 = 0.99 * p10 - 0.1 * (0.07 / 0.19) / (Math.sqrt(0.00031225 / 0.001999) + 1e-8);
        double p21 = 0.99 * p11 - 0.1 * (0.11 / 0.19) / (Math.sqrt(0.004999 / 0.001999) + 1e-8);
        assertRelative(new double[] {p20, p21}, p, REL);
        assertRelative(new double[] {0.7878820404574624, -1.897810353462075}, p, REL);
    }

    @Test
    void adamWMatchesPyTorchOrderingToFloatRounding() {
        // PyTorch: p' = p * (1 - lr*wd); p'' = p' - step. Kernel: p'' = p - (step + lr*wd*p).
        // Over many random elements and one step the two float computations agree within a few ulps.
        java.util.Random r = new java.util.Random(7);
        int n = 1000;
        float[] p0 = new float[n];
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            p0[i] = (float) r.nextGaussian();
            g[i] = (float) r.nextGaussian();
        }
        Tensor p = Tensor.of(p0, n).requiresGrad(true);
        float lr = 0.01f, wd = 0.1f;
        AdamW adamW = new AdamW(List.of(p), lr, 0.9f, 0.999f, 1e-8f, wd);
        setGrad(p, g);
        adamW.step();
        for (int i = 0; i < n; i++) {
            // PyTorch order in float: decay first, then m/(sqrt(v)/sqrt(bc2) + eps) * (lr/bc1)
            float decayed = p0[i] * (1f - lr * wd);
            float m = (1f - 0.9f) * g[i];
            float v = (1f - 0.999f) * g[i] * g[i];
            float bc1 = (float) (1 - (double) 0.9f);
            float bc2 = (float) (1 - (double) 0.999f);
            float expected = decayed - (lr / bc1) * m / ((float) Math.sqrt(v) / (float) Math.sqrt(bc2) + 1e-8f);
            assertEquals(expected, p.data()[i], 4 * Math.ulp(Math.abs(expected)) + 1e-7f, "element " + i);
        }
    }

    @Test
    void defaults() {
        Adam adam = new Adam(List.of(param(1f)));
        assertEquals(1e-3f, adam.learningRate());
        assertEquals(0.9f, adam.beta1());
        assertEquals(0.999f, adam.beta2());
        assertEquals(1e-8f, adam.eps());
        assertEquals(0f, adam.weightDecay());
        assertFalse(adam.decoupled());
        AdamW adamW = new AdamW(List.of(param(1f)));
        assertEquals(1e-3f, adamW.learningRate());
        assertEquals(0.01f, adamW.weightDecay());
        assertTrue(adamW.decoupled());
        assertEquals(0.02f, new AdamW(List.of(param(1f)), 0.02f).learningRate());
    }

    @Test
    void stateHoldsMomentsAndSteps() {
        Tensor p = param(1f, -2f);
        Adam adam = new Adam(List.of(p), 0.1f);
        setGrad(p, 0.5f, -1f);
        adam.step();
        var state = adam.state();
        assertEquals(List.of("step", "lr", "step.0", "m.0", "v.0"), List.copyOf(state.keySet()));
        assertEquals(1f, state.get("step").item());
        assertEquals(0.1f, state.get("lr").item());
        // the moments use the float betas: 1 - 0.9f = 0.100000024, 1 - 0.999f = 0.00099998713
        assertEquals((1f - 0.9f) * 0.5f, state.get("m.0").data()[0]);
        assertEquals((1f - 0.999f) * 0.5f * 0.5f, state.get("v.0").data()[0]);
        assertEquals(0.05f, state.get("m.0").data()[0], 1e-7f);
        assertEquals(0.00025f, state.get("v.0").data()[0], 0.00025f * 2e-5f);
    }

    @Test
    void rejectsBadHyperparameters() {
        List<Tensor> ps = List.of(param(1f));
        assertThrows(IllegalArgumentException.class, () -> new Adam(ps, 0.1f, 1f, 0.999f, 1e-8f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new Adam(ps, 0.1f, 0.9f, -0.1f, 1e-8f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new Adam(ps, 0.1f, 0.9f, 0.999f, -1f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(ps, 0.1f, 0.9f, 0.999f, 1e-8f, -0.01f));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(ps, Float.POSITIVE_INFINITY));
    }
}
