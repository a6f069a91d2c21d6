package ttq.model.tt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import ttq.engine.GradMode;
import ttq.engine.Ops;
import ttq.engine.Tensor;

/**
 * TT and TTM layers against their dense reconstruction, for random mode factorizations
 * (d = 2..4 for TT, 1..4 for TTM), ranks including 1, and batch sizes; every contraction order
 * gives the same output and gradients.
 */
class TtLayerProperties {
    static int[] modes(Random r, int d, int max) {
        int[] m = new int[d];
        for (int i = 0; i < d; i++) {
            m[i] = 1 + r.nextInt(max);
        }
        return m;
    }

    static void assertClose(Tensor expected, Tensor actual, float tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        float scale = 1e-6f;
        for (float v : expected.data()) {
            scale = Math.max(scale, Math.abs(v));
        }
        float diff = expected.maxAbsDiff(actual);
        assertTrue(diff <= tol * scale, what + ": max difference " + diff + " (scale " + scale + ")");
    }

    @Property(tries = 40)
    void ttForwardEqualsDenseProduct(@ForAll @IntRange(min = 2, max = 4) int d, @ForAll @IntRange(min = 1, max = 5) int batch,
                                     @ForAll long seed) {
        Random r = new Random(seed);
        int[] out = modes(r, d, d == 4 ? 3 : 4), in = modes(r, d, d == 4 ? 3 : 4);
        int rank = 1 + r.nextInt(4);
        TtLinear layer = new TtLinear(out, in, rank, true, r);
        layer.bias().data()[0] = 0.5f;
        Tensor x = Tensor.normal(r, 1f, batch, layer.inFeatures());
        Tensor dense = layer.toDense();
        Tensor expected = Ops.linear(x, dense.transpose(0, 1), layer.bias());
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertClose(expected, layer.forward(x), 1e-4f, "TT forward");
        }
    }

    @Property(tries = 40)
    void ttmForwardEqualsDenseProduct(@ForAll @IntRange(min = 1, max = 4) int d, @ForAll @IntRange(min = 1, max = 5) int batch,
                                      @ForAll long seed) {
        Random r = new Random(seed);
        int[] out = modes(r, d, 3), in = modes(r, d, 3);
        TtmLinear layer = new TtmLinear(out, in, 1 + r.nextInt(4), false, r);
        Tensor x = Tensor.normal(r, 1f, batch, layer.inFeatures());
        Tensor expected = x.matmul(layer.toDense().transpose(0, 1));
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertClose(expected, layer.forward(x), 1e-4f, "TTM forward");
        }
    }

    @Property(tries = 40)
    void ttmEmbeddingLooksUpRowsOfTheTable(@ForAll @IntRange(min = 1, max = 4) int d, @ForAll long seed) {
        Random r = new Random(seed);
        int[] rows = modes(r, d, 4), cols = modes(r, d, 3);
        int padded = Arrays.stream(rows).reduce(1, (a, b) -> a * b);
        int vocab = 1 + r.nextInt(padded);
        TtmEmbedding emb = new TtmEmbedding(vocab, rows, cols, 1 + r.nextInt(4), r);
        int[] ids = new int[1 + r.nextInt(7)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(vocab);
        }
        Tensor table = emb.toDense();
        assertEquals(vocab, table.dim(0));
        Tensor expected = Ops.indexSelect(table, 0, ids);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertClose(expected, emb.forward(ids, ids.length), 1e-4f, "TTM embedding");
        }
    }

    @Property(tries = 30)
    void ttmEmbeddingBuildsTheTableForManyIdsAndGivesTheSameRowsAndGradients(@ForAll @IntRange(min = 2, max = 4) int d, @ForAll long seed) {
        Random r = new Random(seed);
        int[] rows = modes(r, d, 4), cols = modes(r, d, 3);
        int padded = Arrays.stream(rows).reduce(1, (a, b) -> a * b);
        int vocab = 1 + r.nextInt(padded);
        TtmEmbedding emb = new TtmEmbedding(vocab, rows, cols, 1 + r.nextInt(4), r);
        // all ids (the table is the cheaper way when the bond is not tiny) and one id (never the table)
        int[] many = new int[3 * vocab], one = {r.nextInt(vocab)};
        for (int i = 0; i < many.length; i++) {
            many[i] = i % vocab;
        }
        assertTrue(!emb.buildsTable(1), "one id is never a whole table");
        Tensor upstream = Tensor.randn(seed, many.length, emb.hidden());
        Tensor out = emb.forward(many, many.length);
        out.mul(upstream).sum().backward();
        List<Tensor> viaForward = emb.cores().stream().map(c -> c.grad().copy()).toList();
        emb.zeroGrad();
        // the reference: each id looked up on its own (the slice path), gradients summed
        Tensor reference = null;
        for (int i = 0; i < many.length; i++) {
            Tensor row = emb.forward(new int[] {many[i]}, 1);
            row.mul(upstream.slice(0, i, i + 1)).sum().backward();
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                reference = reference == null ? row.detach() : Ops.concat(0, reference, row.detach());
            }
        }
        assertClose(reference, out.detach(), 1e-4f, "table path rows");
        for (int k = 0; k < d; k++) {
            assertClose(emb.cores().get(k).grad(), viaForward.get(k), 2e-3f, "core " + k + " gradient");
        }
        assertEquals(1, emb.forward(one, 1).dim(0));
    }

    @net.jqwik.api.Example
    void table1EmbeddingBuildsTheTableForATrainingBatchNotForAnUtterance() {
        TtmEmbedding emb = new TtmEmbedding(800, new int[] {5, 5, 4, 4, 2}, new int[] {3, 4, 4, 4, 4}, 30, new Random(1));
        assertTrue(emb.buildsTable(300), "a batch of 300 distinct words: the table (20 M multiply-adds) is cheaper");
        assertTrue(!emb.buildsTable(12), "one utterance: its words' slices");
    }

    @Property(tries = 15)
    void everyOrderGivesTheSameOutputAndGradients(@ForAll @IntRange(min = 1, max = 3) int d, @ForAll boolean ttm, @ForAll long seed) {
        Random r = new Random(seed);
        int[] out = modes(r, d, 3), in = modes(r, d, 3);
        int rank = 1 + r.nextInt(3);
        int batch = 1 + r.nextInt(4);
        Tensor x = Tensor.normal(r, 1f, batch, Arrays.stream(in).reduce(1, (a, b) -> a * b));
        Tensor gy = Tensor.normal(r, 1f, batch, Arrays.stream(out).reduce(1, (a, b) -> a * b));
        long layerSeed = r.nextLong();
        TensorNetwork net = ttm ? new TtmLinear(out, in, rank, false, new Random(layerSeed)).network(batch)
                : (d >= 1 ? new TtLinear(out, in, rank, false, new Random(layerSeed)).network(batch) : null);
        List<ContractionPlan> plans = ContractionPlan.enumerate(net, 500).plans();
        assertTrue(!plans.isEmpty());
        Tensor refY = null;
        Tensor[] refGrads = null;
        for (ContractionPlan p : plans) {
            Tensor xi = x.copy().requiresGrad(true);
            List<Tensor> cores;
            Tensor y;
            if (ttm) {
                TtmLinear l = new TtmLinear(out, in, rank, false, new Random(layerSeed));
                l.pin(p.spec());
                y = l.forward(xi);
                cores = l.cores();
            } else {
                TtLinear l = new TtLinear(out, in, rank, false, new Random(layerSeed));
                l.pin(p.spec());
                y = l.forward(xi);
                cores = l.cores();
            }
            y.backward(gy);
            Tensor[] grads = new Tensor[cores.size() + 1];
            grads[0] = xi.grad();
            for (int k = 0; k < cores.size(); k++) {
                grads[k + 1] = cores.get(k).grad();
            }
            if (refY == null) {
                refY = y.detach();
                refGrads = grads;
            } else {
                assertClose(refY, y.detach(), 1e-4f, "y under order " + p.spec());
                for (int k = 0; k < grads.length; k++) {
                    assertClose(refGrads[k], grads[k], 1e-4f, "gradient " + k + " under order " + p.spec());
                }
            }
        }
    }

    @Property(tries = 30)
    void fusedPathEqualsComposedPath(@ForAll @IntRange(min = 1, max = 3) int d, @ForAll boolean withBias, @ForAll long seed) {
        Random r = new Random(seed);
        int[] out = modes(r, d, 4), in = modes(r, d, 4);
        int rank = 1 + r.nextInt(4), batch = 1 + r.nextInt(6);
        long layerSeed = r.nextLong();
        Tensor x = Tensor.normal(r, 1f, batch, Arrays.stream(in).reduce(1, (a, b) -> a * b));
        Tensor gy = Tensor.normal(r, 1f, batch, Arrays.stream(out).reduce(1, (a, b) -> a * b));
        Tensor[][] grads = new Tensor[2][];
        Tensor[] ys = new Tensor[2];
        for (int pass = 0; pass < 2; pass++) {
            TtLinear l = new TtLinear(out, in, rank, withBias, new Random(layerSeed));
            if (withBias) {
                l.bias().data()[0] = 0.25f;
            }
            l.setFused(pass == 1);
            Tensor xi = x.copy().requiresGrad(true);
            Tensor y = l.forward(xi);
            y.backward(gy);
            ys[pass] = y.detach();
            List<Tensor> ps = l.parameters();
            grads[pass] = new Tensor[ps.size() + 1];
            grads[pass][0] = xi.grad();
            for (int k = 0; k < ps.size(); k++) {
                grads[pass][k + 1] = ps.get(k).grad();
            }
        }
        assertClose(ys[0], ys[1], 1e-4f, "fused forward");
        for (int k = 0; k < grads[0].length; k++) {
            assertClose(grads[0][k], grads[1][k], 1e-4f, "fused gradient " + k);
        }
    }

    @Property(tries = 30)
    void plannerPickEqualsBruteForceMinimum(@ForAll @IntRange(min = 1, max = 3) int d, @ForAll boolean ttm,
                                            @ForAll @IntRange(min = 1, max = 2048) int batch, @ForAll long seed) {
        Random r = new Random(seed);
        int[] out = modes(r, d, 64), in = modes(r, d, 64);
        int rank = 1 + r.nextInt(40);
        TensorNetwork net = ttm ? new TtmLinear(out, in, rank, false, new Random(1)).network(batch)
                : new TtLinear(out, in, rank, false, new Random(1)).network(batch);
        ContractionPlan.Enumeration all = ContractionPlan.enumerate(net, 1_000_000);
        assertTrue(!all.truncated());
        double min = all.plans().stream().mapToDouble(ContractionPlan::flops).min().orElseThrow();
        assertEquals(min, ContractionPlan.optimal(net).flops(), min * 1e-9);
    }
}
