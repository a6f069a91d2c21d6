package ttq.model.tt;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import ttq.engine.GradMode;
import ttq.engine.Tensor;
import ttq.engine.quant.LearnedScaleQuantizer;

/** Integer inference stays within a stated tolerance of the fake-quant FP32 path. */
class Int8TtLinearTest {
    /** Relative RMS error of the integer path against the fake-quant path: requantizing U, V and h costs at most this. */
    static final double TOLERANCE = 0.03;

    static double relativeRms(Tensor expected, Tensor actual) {
        double num = 0, den = 0;
        for (int i = 0; i < expected.numel(); i++) {
            double d = expected.data()[i] - actual.data()[i];
            num += d * d;
            den += (double) expected.data()[i] * expected.data()[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    static void check(int[] out, int[] in, int rank, int bits, boolean inputQuant, long seed) {
        Random r = new Random(seed);
        TtLinear l = new TtLinear(out, in, rank, true, r).quantizeWeights(new LearnedScaleQuantizer(bits));
        if (inputQuant) {
            l.quantizeInput(new LearnedScaleQuantizer(8));
        }
        for (int i = 0; i < l.outFeatures(); i++) {
            l.bias().data()[i] = (float) (0.1 * r.nextGaussian());
        }
        Tensor x = Tensor.normal(r, 1f, 37, l.inFeatures());
        l.eval();
        Tensor fake;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            fake = l.forward(x);
        }
        Int8TtLinear integer = new Int8TtLinear(l);
        double err = relativeRms(fake, integer.forward(x));
        assertTrue(err <= TOLERANCE, "relative RMS error " + err + " for " + java.util.Arrays.toString(out) + "x"
                + java.util.Arrays.toString(in) + " rank " + rank + " INT" + bits);
    }

    @Test
    void paperShapesAtEveryPrecision() {
        for (int bits : new int[] {8, 4, 2}) {
            check(new int[] {24, 32}, new int[] {32, 24}, 10, bits, true, bits);
            check(new int[] {48, 64}, new int[] {32, 24}, 10, bits, true, 10 + bits);
        }
    }

    @Test
    void deeperTrainsAndDynamicInputScale() {
        check(new int[] {4, 5, 6}, new int[] {6, 5, 4}, 4, 8, false, 3);
        check(new int[] {3, 3, 3, 3}, new int[] {2, 3, 2, 3}, 3, 8, true, 4);
    }

    @Test
    void uninitialisedInputScaleFallsBackToTheBatchRange() {
        Random r = new Random(9);
        TtLinear l = new TtLinear(new int[] {4, 6}, new int[] {6, 4}, 3, false, r)
                .quantizeWeights(new LearnedScaleQuantizer(8).setScale(0.05f)).quantizeInput(new LearnedScaleQuantizer(8));
        Tensor x = Tensor.normal(r, 1f, 9, 24);
        Int8TtLinear integer = new Int8TtLinear(l); // built before any float forward saw data
        l.eval();
        Tensor fake;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            fake = l.forward(x);
        }
        assertTrue(relativeRms(fake, integer.forward(x)) <= TOLERANCE);
    }

    @Test
    void needsAQuantizedLayer() {
        TtLinear plain = new TtLinear(new int[] {2, 2}, new int[] {2, 2}, 2, false, new Random(1));
        assertThrows(IllegalArgumentException.class, () -> new Int8TtLinear(plain));
    }
}
