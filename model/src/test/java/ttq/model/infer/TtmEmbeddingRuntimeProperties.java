package ttq.model.infer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import ttq.engine.GradMode;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.tt.TtmEmbedding;

/** The runtime's TTM embeddings (integer and FP32) against the training layer's lookup. */
class TtmEmbeddingRuntimeProperties {
    /**
     * Relative RMS error bound of the integer lookup against the fake-quant lookup: two blocks, each
     * requantized once to INT8 (random embeddings of 1-4 cores, ranks 1-6, INT2/4/8: worst 1.4% in 20,000).
     */
    static final double TOLERANCE = 0.03;

    static TtmEmbedding embedding(int d, int rank, Integer bits, Random r) {
        int[] rows = new int[d], cols = new int[d];
        for (int k = 0; k < d; k++) {
            rows[k] = 2 + r.nextInt(4);
            cols[k] = 2 + r.nextInt(3);
        }
        int capacity = Arrays.stream(rows).reduce(1, (a, b) -> a * b);
        TtmEmbedding e = new TtmEmbedding(Math.max(1, capacity - r.nextInt(Math.max(1, capacity / 2))), rows, cols, rank, r);
        if (bits != null) {
            e.quantizeWeights(new LearnedScaleQuantizer(bits));
        }
        return e;
    }

    static int[] ids(TtmEmbedding e, int n, Random r) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(e.vocabulary());
        }
        ids[0] = e.vocabulary() - 1; // the last row, next to the padding
        return ids;
    }

    @Property(tries = 150)
    void integerLookupTracksTheFakeQuantizedOne(@ForAll @IntRange(min = 1, max = 4) int d, @ForAll @IntRange(min = 1, max = 6) int rank,
                                                @ForAll("bits") int bits, @ForAll long seed) {
        Random r = new Random(seed);
        TtmEmbedding e = embedding(d, rank, bits, r);
        int[] ids = ids(e, 1 + r.nextInt(30), r);
        float[] expected;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            expected = e.forward(ids, ids.length).toArray();
        }
        float[] out = new float[ids.length * e.hidden()];
        new IntTtmEmbedding(e).lookup(ids, 0, ids.length, out, 0, new Scratch());
        double err = RuntimeChecks.relativeRms(expected, out, out.length);
        assertTrue(err <= TOLERANCE, "relative RMS error " + err + " (d " + d + ", rank " + rank + ", INT" + bits + ")");
    }

    @Property(tries = 80)
    void floatLookupEqualsTheTrainingLookup(@ForAll @IntRange(min = 1, max = 4) int d, @ForAll @IntRange(min = 1, max = 6) int rank,
                                            @ForAll long seed) {
        Random r = new Random(seed);
        TtmEmbedding e = embedding(d, rank, null, r);
        int[] ids = ids(e, 1 + r.nextInt(30), r);
        float[] expected;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            expected = e.forward(ids, ids.length).toArray();
        }
        float[] out = new float[ids.length * e.hidden()];
        new FloatTtmEmbedding(e).lookup(ids, 0, ids.length, out, 0, new Scratch());
        double err = RuntimeChecks.relativeRms(expected, out, out.length);
        assertTrue(err <= 1e-5, "relative RMS error " + err);
    }

    @Provide
    Arbitrary<Integer> bits() {
        return Arbitraries.of(2, 4, 8);
    }
}
