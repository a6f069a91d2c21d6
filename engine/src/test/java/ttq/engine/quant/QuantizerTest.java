package ttq.engine.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import ttq.engine.Ops;
import ttq.engine.Tensor;

/** The learned-scale quantizer against the paper's eqs. (1) and (2) on hand-made cases, plus its algebra. */
class QuantizerTest {
    @Test
    void handMadeCasesCoverBothClipSidesAndHalfRounding() {
        // 4 bits: levels -8..7, scale 0.5: x/s = [-10, -8, 2.5, 3.5, -2.5, 7, 7.4, 9] (7.4 and 9 are above the range)
        Tensor x = Tensor.of(new float[] {-5f, -4f, 1.25f, 1.75f, -1.25f, 3.5f, 3.7f, 4.5f}, 8).requiresGrad(true);
        Tensor s = Tensor.of(new float[] {0.5f}, 1).requiresGrad(true);
        Tensor q = Ops.quantize(x, s, 4, 1f);
        // rint: half to even (2.5 -> 2, 3.5 -> 4, -2.5 -> -2); clip to [-8, 7]
        assertArrayEquals(new float[] {-4f, -4f, 1f, 2f, -1f, 3.5f, 3.5f, 3.5f}, q.data());
        float[] g = {1, 2, 3, 4, 5, 6, 7, 8};
        q.backward(Tensor.of(g, 8));
        // eq. (2): 1 inside [-8, 7] (boundaries included), 0 outside
        assertArrayEquals(new float[] {0, 2, 3, 4, 5, 6, 0, 0}, x.grad().data());
        // eq. (1): below -> -8, inside -> (Q - x)/s, above -> 7
        double expected = 1 * -8 + 2 * ((-4 - -4) / 0.5) + 3 * ((1 - 1.25) / 0.5) + 4 * ((2 - 1.75) / 0.5)
                + 5 * ((-1 - -1.25) / 0.5) + 6 * ((3.5 - 3.5) / 0.5) + 7 * 7 + 8 * 7;
        assertEquals(expected, s.grad().item(), 1e-4);
    }

    @Test
    void lsqGradientScaleMultipliesOnlyTheScaleGradient() {
        Tensor x = Tensor.of(new float[] {0.3f, -2f}, 2).requiresGrad(true);
        Tensor s = Tensor.of(new float[] {0.25f}, 1).requiresGrad(true);
        Ops.quantize(x, s, 2, 0.5f).sum().backward();
        // 2 bits: levels -2..1; 0.3/0.25 = 1.2 -> clipped to 1 (above): 1; -2/0.25 = -8 -> below: -2
        assertEquals(0.5 * (1 + -2), s.grad().item(), 1e-6);
        assertArrayEquals(new float[] {0, 0}, x.grad().data());
    }

    @Test
    void badScalesAndBitsAreClearErrors() {
        Tensor x = Tensor.ones(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.quantize(x, Tensor.zeros(1), 4, 1f));
        assertTrue(e.getMessage().contains("scale must be positive"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Ops.quantize(x, Tensor.ones(1), 1, 1f));
        assertThrows(IllegalArgumentException.class, () -> Ops.quantize(x, Tensor.ones(2), 4, 1f));
    }

    @Property(tries = 200)
    void quantizerAlgebra(@ForAll @IntRange(min = 2, max = 8) int bits, @ForAll @FloatRange(min = 0.01f, max = 2f) float scale,
                          @ForAll long seed) {
        Random r = new Random(seed);
        Tensor x = Tensor.normal(r, scale * (1 << (bits - 1)), 257);
        Tensor s = Tensor.of(new float[] {scale}, 1);
        Tensor q = Ops.quantize(x, s, bits, 1f);
        int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
        Set<Float> levels = new HashSet<>();
        for (int i = 0; i < q.numel(); i++) {
            float u = x.data()[i] / scale;
            if (u >= lo && u <= hi) {
                assertTrue(Math.abs(q.data()[i] - x.data()[i]) <= scale / 2 * (1 + 1e-5f), "|Q(x) - x| <= s/2 inside the range");
            }
            levels.add(q.data()[i]);
        }
        assertTrue(levels.size() <= (1 << bits), "at most 2^b levels, got " + levels.size());
        assertArrayEquals(q.data(), Ops.quantize(q, s, bits, 1f).data(), "Q(Q(x)) = Q(x)");
    }

    @Property(tries = 100)
    void ternaryAndBinaryLevels(@ForAll long seed) {
        Random r = new Random(seed);
        Tensor w = Tensor.normal(r, 1f, 101);
        Set<Float> t = new HashSet<>(), b = new HashSet<>();
        for (float v : Ops.ternary(w).data()) {
            t.add(v);
        }
        for (float v : Ops.binary(w).data()) {
            b.add(v);
        }
        assertTrue(t.size() <= 3 && t.contains(0f) || t.size() <= 2, "ternary levels " + t);
        assertEquals(2, b.size(), "binary levels " + b);
        double meanAbs = 0;
        for (float v : w.data()) {
            meanAbs += Math.abs(v) / w.numel();
        }
        assertTrue(b.contains((float) meanAbs) || Math.abs(Math.abs(b.iterator().next()) - meanAbs) < 1e-5);
    }

    @Test
    void initializeFromUsesTheGivenRuleOnceAndNeverOverwrites() {
        Tensor w = Tensor.of(new float[] {0.5f, -1f, 0.25f, 0.25f}, 4); // mean|w| 0.5, max 1
        LearnedScaleQuantizer lsq = new LearnedScaleQuantizer(2); // built with the max rule
        assertTrue(lsq.initializeFrom(java.util.List.of(w), LearnedScaleQuantizer.Init.LSQ));
        assertEquals(2 * 0.5 / Math.sqrt(1), lsq.scale().data()[0], 1e-6); // LSQ: 2 mean|w| / sqrt(Q_p), Q_p = 1
        LearnedScaleQuantizer max = new LearnedScaleQuantizer(4);
        assertTrue(max.initializeFrom(java.util.List.of(w), LearnedScaleQuantizer.Init.MAX));
        assertEquals(1f / 7, max.scale().data()[0], 1e-7); // max|w| / Q_p, Q_p = 7
        assertTrue(lsq.isInitialized());
        assertTrue(!lsq.initializeFrom(java.util.List.of(Tensor.of(new float[] {9f}, 1)), LearnedScaleQuantizer.Init.MAX));
        assertEquals(1f, lsq.scale().data()[0], 1e-6); // left alone
        lsq.forward(Tensor.of(new float[] {5f, 5f}, 2));
        assertEquals(1f, lsq.scale().data()[0], 1e-6); // and not re-initialised by the first forward
    }
}
