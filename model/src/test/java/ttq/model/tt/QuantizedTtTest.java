package ttq.model.tt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.quant.LearnedScaleQuantizer;

class QuantizedTtTest {
    @Test
    void weightQuantizationSharesOneScaleAndTrainsIt() {
        Random r = new Random(1);
        TtLinear l = new TtLinear(new int[] {4, 6}, new int[] {6, 4}, 3, true, r).quantizeWeights(new LearnedScaleQuantizer(4));
        Tensor x = Tensor.normal(r, 1f, 5, 24);
        Tensor y = l.forward(x);
        LearnedScaleQuantizer q = l.weightQuantizer();
        assertTrue(q.isInitialized());
        double maxAbs = 0;
        for (Tensor c : l.cores()) {
            for (float v : c.data()) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
        }
        assertEquals(maxAbs / 7, q.scale().item(), 1e-6, "MAX init: max|cores| / (2^(b-1) - 1)");
        // the same as a plain layer built from the quantized cores
        List<Tensor> qc = new ArrayList<>();
        Set<Float> levels = new HashSet<>();
        for (Tensor c : l.cores()) {
            Tensor t = Ops.quantize(c.detach(), q.scale().detach(), 4, 1f);
            qc.add(t);
            for (float v : t.data()) {
                levels.add(v);
            }
        }
        assertTrue(levels.size() <= 16, "at most 2^4 levels across all cores: " + levels.size());
        TtLinear plain = TtLinear.fromCores(qc, new int[] {4, 6}, new int[] {6, 4}, true);
        assertTrue(plain.forward(x).maxAbsDiff(y.detach()) < 1e-5f);
        y.sum().backward();
        assertNotNull(q.scale().grad(), "the scale learns");
        assertNotNull(l.cores().get(0).grad());
        assertTrue(l.stateDict().containsKey("weightQuantizer.scale"));
    }

    @Test
    void emaCalibrationFollowsInputsInTrainingOnly() {
        LearnedScaleQuantizer q = new LearnedScaleQuantizer(8, LearnedScaleQuantizer.Init.MAX,
                LearnedScaleQuantizer.Calibration.EMA, false, 0.5f);
        q.forward(Tensor.full(127f, 3));
        assertEquals(1f, q.scale().item(), 1e-6);
        q.forward(Tensor.full(254f, 3));
        assertEquals(1.5f, q.scale().item(), 1e-6, "0.5 * 1 + 0.5 * 2");
        q.eval();
        q.forward(Tensor.full(1270f, 3));
        assertEquals(1.5f, q.scale().item(), 1e-6, "frozen in eval");
        assertTrue(!q.scale().requiresGrad());
    }

    @Test
    void lsqInitAndGradientScale() {
        LearnedScaleQuantizer q = new LearnedScaleQuantizer(4, LearnedScaleQuantizer.Init.LSQ,
                LearnedScaleQuantizer.Calibration.LEARNED, true, 0.9f);
        Tensor x = Tensor.of(new float[] {1, -1, 2, -2}, 4);
        q.forward(x).sum().backward();
        assertEquals(2 * 1.5 / Math.sqrt(7), q.scale().item(), 1e-6, "2 mean|x| / sqrt(Q_p)");
        assertNotNull(q.scale().grad());
    }

    @Test
    void quantizedEmbeddingAndTtmLinear() {
        Random r = new Random(2);
        TtmEmbedding e = new TtmEmbedding(20, new int[] {4, 5}, new int[] {2, 3}, 3, r).quantizeWeights(new LearnedScaleQuantizer(2));
        Tensor y = e.forward(new int[] {0, 19, 7}, 3);
        y.sum().backward();
        assertNotNull(e.weightQuantizer().scale().grad());
        TtmLinear t = new TtmLinear(new int[] {2, 3}, new int[] {3, 2}, 2, false, r).quantizeWeights(new LearnedScaleQuantizer(8));
        t.forward(Tensor.normal(r, 1f, 2, 6)).sum().backward();
        assertNotNull(t.weightQuantizer().scale().grad());
    }
}
