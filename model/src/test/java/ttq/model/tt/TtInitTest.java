package ttq.model.tt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import ttq.engine.Tensor;

/** The reconstructed W of a freshly initialised layer has the stated variance (Glorot 2/(M+N); 1/N for embeddings). */
class TtInitTest {
    static double variance(Tensor w) {
        double s = 0, s2 = 0;
        for (float v : w.data()) {
            s += v;
            s2 += (double) v * v;
        }
        double mean = s / w.numel();
        return s2 / w.numel() - mean * mean;
    }

    static void check(String what, double target, java.util.function.IntFunction<Tensor> sample) {
        int samples = 12;
        double mean = 0;
        for (int i = 0; i < samples; i++) {
            mean += variance(sample.apply(i)) / samples;
        }
        assertEquals(1.0, mean / target, 0.15, what + ": reconstructed variance " + mean + " vs target " + target);
    }

    @Test
    void ttLinearPaperShapes() {
        check("TT 768x768 r10", 2.0 / (768 + 768),
                i -> new TtLinear(new int[] {24, 32}, new int[] {32, 24}, 10, false, new Random(i)).toDense());
        check("TT 768->3072 r10", 2.0 / (768 + 3072),
                i -> new TtLinear(new int[] {48, 64}, new int[] {32, 24}, 10, false, new Random(i)).toDense());
        check("TT d=3 mixed ranks", 2.0 / (60 + 24),
                i -> new TtLinear(new int[] {3, 4, 5}, new int[] {2, 3, 4}, new int[] {2, 5, 7, 3, 2}, false, new Random(i)).toDense());
    }

    @Test
    void ttmPaperShapes() {
        check("TTM linear", 2.0 / (64 + 48),
                i -> new TtmLinear(new int[] {4, 4, 4}, new int[] {4, 4, 3}, 6, false, new Random(i)).toDense());
        check("TTM embedding (Table 1, 800 x 768, rank 30)", 1.0 / 768,
                i -> new TtmEmbedding(800, new int[] {5, 5, 4, 4, 2}, new int[] {3, 4, 4, 4, 4}, 30, new Random(i)).toDense());
    }
}
