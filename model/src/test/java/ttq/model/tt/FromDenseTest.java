package ttq.model.tt;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import ttq.engine.GradMode;
import ttq.engine.Ops;
import ttq.engine.Tensor;

class FromDenseTest {
    static double frob(Tensor t) {
        double s = 0;
        for (float v : t.data()) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    @Test
    void fullRankTtLayerReproducesTheDenseLayer() {
        Random r = new Random(3);
        Tensor w = Tensor.normal(r, 1f, 12, 20), bias = Tensor.normal(r, 1f, 12);
        TtLinear l = TtLinear.fromDense(w, new int[] {3, 4}, new int[] {4, 5}, 1000, 0, bias);
        assertTrue(l.toDense().maxAbsDiff(w) < 1e-4f, "exact at full rank");
        Tensor x = Tensor.normal(r, 1f, 7, 20);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor expected = x.matmul(w.transpose(0, 1)).add(bias);
            assertTrue(l.forward(x).maxAbsDiff(expected) < 1e-4f);
        }
    }

    @Test
    void truncatedCompressionStaysWithinTheSvdBound() {
        Random r = new Random(4);
        Tensor w = Tensor.normal(r, 1f, 48, 36);
        TtDecomposition dec = TtSvd.tt(w, new int[] {6, 8}, new int[] {6, 6}, new int[] {3, 3, 3}, 0);
        TtLinear l = TtLinear.fromDense(w, new int[] {6, 8}, new int[] {6, 6}, 3, 0, null);
        double err = frob(l.toDense().sub(w));
        assertTrue(err <= dec.discardedNorm() * (1 + 1e-4) + 1e-4 * frob(w), err + " vs bound " + dec.discardedNorm());
        assertTrue(l.ranks()[2] <= 3);
    }

    @Test
    void balancedCoresShareOneMaximumAndKeepTheProduct() {
        Random r = new Random(6);
        Tensor w = Tensor.normal(r, 3f, 48, 36);
        TtDecomposition dec = TtSvd.tt(w, new int[] {6, 8}, new int[] {6, 6}, new int[] {4, 4, 4}, 0);
        TtDecomposition bal = dec.balanced();
        double first = maxAbs(bal.cores().get(0));
        for (Tensor c : bal.cores()) {
            assertTrue(Math.abs(maxAbs(c) - first) <= 1e-5 * first, maxAbs(c) + " vs " + first);
        }
        Tensor before = TtLinear.fromCores(dec.cores(), new int[] {6, 8}, new int[] {6, 6}, false).toDense();
        Tensor after = TtLinear.fromCores(bal.cores(), new int[] {6, 8}, new int[] {6, 6}, false).toDense();
        assertTrue(frob(after.sub(before)) <= 1e-5 * frob(before), "product unchanged");
    }

    /**
     * One max-initialised scale shared by all cores must not round TT-SVD's orthonormal cores to
     * zero: before fromDense balanced the cores this layer lost most of its weight at 8 bits.
     */
    @Test
    void svdInitialisedLayerSurvivesSharedScaleQuantization() {
        Random r = new Random(7);
        Tensor w = Tensor.normal(r, 1f, 48, 36);
        TtLinear plain = TtLinear.fromDense(w, new int[] {6, 8}, new int[] {6, 6}, 6, 0, null);
        Tensor reference = plain.toDense();
        TtLinear quantized = TtLinear.fromDense(w, new int[] {6, 8}, new int[] {6, 6}, 6, 0, null)
                .quantizeWeights(new ttq.engine.quant.LearnedScaleQuantizer(8));
        Tensor eye = Tensor.zeros(36, 36);
        for (int i = 0; i < 36; i++) {
            eye.data()[i * 36 + i] = 1f;
        }
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor dense = quantized.forward(eye).transpose(0, 1);
            double rel = frob(dense.sub(reference)) / frob(reference);
            assertTrue(rel < 0.05, "8-bit relative error " + rel);
        }
    }

    static double maxAbs(Tensor t) {
        double m = 0;
        for (float v : t.data()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    @Test
    void ttmLinearAndEmbeddingFromDense() {
        Random r = new Random(5);
        Tensor w = Tensor.normal(r, 1f, 12, 8);
        TtmLinear l = TtmLinear.fromDense(w, new int[] {3, 4}, new int[] {2, 4}, 1000, 0, false);
        assertTrue(l.toDense().maxAbsDiff(w) < 1e-4f);
        Tensor table = Tensor.normal(r, 1f, 10, 8); // padded to 12 rows inside
        TtmEmbedding e = TtmEmbedding.fromDense(table, new int[] {3, 4}, new int[] {2, 4}, 1000, 0);
        assertTrue(e.toDense().maxAbsDiff(table) < 1e-4f);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertTrue(e.forward(new int[] {9, 0}, 2).maxAbsDiff(Ops.indexSelect(table, 0, 9, 0)) < 1e-4f);
        }
    }
}
