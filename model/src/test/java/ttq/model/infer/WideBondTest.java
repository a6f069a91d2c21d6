package ttq.model.infer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import ttq.engine.GradMode;
import ttq.engine.Tensor;
import ttq.kernels.FactoredKernels;
import ttq.kernels.InferenceKernels;
import ttq.model.tt.TtLinear;

/** TT layers whose bond is wider than the fused kernels' buffers take the plain paths, with the same results. */
class WideBondTest {
    @Test
    void floatLayerWiderThanTheFusedKernel() {
        Random r = new Random(1);
        TtLinear l = new TtLinear(new int[] {4, 6}, new int[] {6, 4}, FactoredKernels.MAX_K + 8, true, r);
        for (int i = 0; i < 24; i++) {
            l.bias().data()[i] = (float) r.nextGaussian();
        }
        Tensor x = Tensor.normal(r, 1f, 11, 24);
        float[] expected;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            expected = l.forward(x).toArray();
        }
        float[] y = new float[11 * 24];
        new FloatTtLinear(l).forward(x.data(), 0, 11, y, 0, new Scratch());
        assertTrue(RuntimeChecks.relativeRms(expected, y, y.length) < 1e-5);
    }

    @Test
    void integerLayerWiderThanTheNativeRequantization() {
        Random r = new Random(2);
        int rank = InferenceKernels.MAX_REQUANTIZE_RANK + 20;
        TtLinear l = IntTtLinearProperties.layer(new int[] {16, 20}, new int[] {20, 16}, rank, 8, true, r);
        float[] x = new float[12 * 320];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] expected = IntTtLinearProperties.reference(l, x, 12);
        float[] y = new float[12 * 320];
        new IntTtLinear(l, TtOrder.PAIR).forward(x, 0, 12, y, 0, new Scratch());
        double err = RuntimeChecks.relativeRms(expected, y, y.length);
        assertTrue(err < IntTtLinearProperties.TOLERANCE, "relative RMS error " + err);
    }
}
