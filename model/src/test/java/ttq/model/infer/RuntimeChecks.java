package ttq.model.infer;

import java.util.Arrays;
import java.util.Random;
import ttq.engine.GradMode;
import ttq.engine.StepScope;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;

/** Shared helpers of the runtime tests: error measures and small models with initialised quantizers. */
final class RuntimeChecks {
    private RuntimeChecks() {
    }

    /**
     * ||a - b|| / ||a|| over the first n values, the denominator floored at an RMS of 1e-6: a reference
     * that is zero up to float rounding (e.g. INT2 cores whose codes cancel) is compared absolutely.
     */
    static double relativeRms(float[] expected, float[] actual, int n) {
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            double d = (double) expected[i] - actual[i];
            num += d * d;
            den += (double) expected[i] * expected[i];
        }
        return Math.sqrt(num / Math.max(den, n * 1e-12));
    }

    /** A small joint model (hidden 24, 2 heads, FFN 48, 2 blocks, 16 positions): dense, or TT at 32/8/4/2 bits. */
    static TransformerConfig small(String format, int bits) {
        return new TransformerConfig(20, 24, 2, 2, 48, 16, 0.1f, 3, 5, format, bits, 3, 4,
                new int[] {4, 6}, new int[] {6, 4}, new int[] {6, 8}, new int[] {6, 4}, new int[] {4, 5}, new int[] {4, 6},
                bits != 32, bits != 32);
    }

    /** The model in eval mode after one forward of a random batch, which initialises every quantizer's scale from data. */
    static JointIntentSlotModel initialised(TransformerConfig c, long seed) {
        JointIntentSlotModel m = new JointIntentSlotModel(c, seed);
        m.eval();
        Random r = new Random(seed + 1);
        int b = 6, l = c.maxLength();
        int[] ids = new int[b * l];
        float[] mask = new float[b * l];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(c.vocab());
        }
        Arrays.fill(mask, 1f);
        try (GradMode.Scope ignored = GradMode.noGrad(); StepScope step = StepScope.open()) {
            m.forward(ids, mask, b, l);
        }
        return m;
    }
}
