package ttq.model.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;

class WeightScaleInitTest {
    private static TransformerConfig small(int bits) {
        return new TransformerConfig(20, 24, 2, 2, 48, 10, 0.1f, 3, 5, "tt", bits, 3, 4,
                new int[] {4, 6}, new int[] {6, 4}, new int[] {6, 8}, new int[] {6, 4}, new int[] {4, 5}, new int[] {4, 6},
                true, true);
    }

    @Test
    void setsEveryWeightScaleOfA2BitModelByLsqFromItsOwnCores() {
        JointIntentSlotModel net = new JointIntentSlotModel(small(2), 5);
        int set = WeightScaleInit.apply(net, LearnedScaleQuantizer.Init.LSQ);
        int quantized = 0;
        for (Module m : net.namedModules().values()) {
            LearnedScaleQuantizer q = m instanceof TtLinear t ? t.weightQuantizer() : m instanceof TtmEmbedding e ? e.weightQuantizer() : null;
            List<Tensor> cores = m instanceof TtLinear t ? t.cores() : m instanceof TtmEmbedding e ? e.cores() : null;
            if (q == null) {
                continue;
            }
            quantized++;
            double sum = 0;
            long n = 0;
            for (Tensor c : cores) {
                for (float v : c.data()) {
                    sum += Math.abs(v);
                }
                n += c.numel();
            }
            assertTrue(q.isInitialized());
            assertEquals(2 * sum / n, q.scale().data()[0], 1e-6 * q.scale().data()[0]);
        }
        // 2 blocks x 6 linears + the embedding; the classifier's TT layers stay FP32
        assertEquals(13, quantized);
        assertEquals(quantized, set);
        assertEquals(0, WeightScaleInit.apply(net, LearnedScaleQuantizer.Init.MAX), "a second call changes nothing");
    }

    @Test
    void lsqStartKeepsMostTwoBitCoreValuesOffZeroWhereTheMaxRuleZeroesThem() {
        List<Double> nonZero = new ArrayList<>();
        for (LearnedScaleQuantizer.Init rule : LearnedScaleQuantizer.Init.values()) {
            JointIntentSlotModel net = new JointIntentSlotModel(small(2), 9);
            WeightScaleInit.apply(net, rule);
            TtLinear first = null;
            for (Module m : net.namedModules().values()) {
                if (m instanceof TtLinear t && t.weightQuantizer() != null) {
                    first = t;
                    break;
                }
            }
            float s = first.weightQuantizer().scale().data()[0];
            long kept = 0, n = 0;
            for (Tensor c : first.cores()) {
                for (float v : c.data()) {
                    kept += Math.rint(v / s) != 0 ? 1 : 0;
                }
                n += c.numel();
            }
            nonZero.add((double) kept / n);
        }
        assertTrue(nonZero.get(0) < 0.2, "max rule: " + nonZero);  // MAX first in the enum
        assertTrue(nonZero.get(1) > 0.3, "LSQ rule: " + nonZero);
    }
}
