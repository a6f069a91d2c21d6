package ttq.model.size;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;
import ttq.model.tt.TtmLinear;

/** Per-layer parameters, packed bytes and FLOPs against hand-computed values. */
class LayerSizeTest {
    static final int[] OUT = {24, 32}, IN = {32, 24};

    @Test
    void ttAttentionLayerOfTable1() {
        LayerCost c = LayerCost.of(LayerSpec.tt("attn", "encoder", OUT, IN, 10, true, 1, true), 768);
        assertArrayEquals(new long[] {240, 3200, 3200, 240}, c.tensorElements());
        assertEquals(6880, c.params()); // 24*10 + 10*32*10 + 10*32*10 + 10*24
        assertEquals(768, c.biasParams());
        assertArrayEquals(new int[] {1, 10, 10, 10, 1}, c.ranks());
        assertEquals(768L * 768 + 768, c.denseParams());
        assertEquals(4L * (6880 + 768), c.bytes(Precision.FP32));
        assertEquals(6880 + 4 + 4L * 768, c.bytes(Precision.INT8));
        assertEquals(3440 + 4 + 4L * 768, c.bytes(Precision.INT4)); // 6880 INT4 weights packed + one scale + FP32 bias
        assertEquals(1720 + 4 + 4L * 768, c.bytes(Precision.INT2));
        assertEquals(2.0 * 768 * 768 * 768, c.denseFlops());
        assertTrue(c.flops() > 0 && c.flops() < c.denseFlops() / 10, "TT rank 10 is far cheaper than dense: " + c.flops());
    }

    @Test
    void ttFlopsAreThoseOfTheExecutedOrder() {
        for (int tokens : new int[] {1, 8, 128, 768}) {
            TtLinear l = new TtLinear(new int[] {48, 64}, IN, 10, true, new Random(3));
            double expected = l.usesFusedPath(tokens) ? l.fusedFlops(tokens) : l.plan(tokens).flops();
            LayerCost c = LayerCost.of(LayerSpec.tt("up", "encoder", new int[] {48, 64}, IN, 10, true, 3, true), tokens);
            assertEquals(3 * expected, c.flops(), 1e-6 * expected, "tokens " + tokens);
            assertEquals(l.usesFusedPath(tokens), c.order().startsWith("fused"), c.order());
            assertEquals(3 * 2.0 * tokens * 768 * 3072, c.denseFlops());
        }
    }

    @Test
    void ttmEmbeddingOfTable1() {
        LayerSpec s = LayerSpec.ttmEmbedding("emb", "embedding", 800, new int[] {5, 5, 4, 4, 2}, new int[] {3, 4, 4, 4, 4}, 30, 1, true);
        LayerCost c = LayerCost.of(s, 768);
        assertArrayEquals(new long[] {450, 18000, 14400, 14400, 240}, c.tensorElements());
        assertEquals(47490, c.params());
        assertEquals(0, c.biasParams());
        assertEquals(800L * 768, c.denseParams());
        assertEquals(0, c.denseFlops());
        TtmEmbedding e = new TtmEmbedding(800, new int[] {5, 5, 4, 4, 2}, new int[] {3, 4, 4, 4, 4}, 30, new Random(1));
        assertEquals(e.plan(768).flops(), c.flops());
        assertEquals(47490 + 4, c.bytes(Precision.INT8));
        // INT2 packs per core: ceil(450/4) = 113, then 4500, 3600, 3600, 60
        assertEquals(113 + 4500 + 3600 + 3600 + 60 + 4, c.bytes(Precision.INT2));
        assertEquals("(5,5,4,4,2)x(3,4,4,4,4)", s.modesText());
        assertEquals("800x768", s.shapeText());
    }

    @Test
    void ttmLinearUsesItsPlan() {
        LayerCost c = LayerCost.of(LayerSpec.ttm("p", "g", new int[] {8, 16}, new int[] {16, 8}, 4, false, 1, true), 64);
        TtmLinear l = new TtmLinear(new int[] {8, 16}, new int[] {16, 8}, 4, false, new Random(1));
        assertEquals(l.plan(64).flops(), c.flops());
        assertEquals(8 * 16 * 4 + 4 * 16 * 8, c.params());
        assertEquals(0, c.biasParams());
    }

    @Test
    void packingRoundsUpPerTensor() {
        // d = 1, rank irrelevant: cores 1x3x1 and 1x5x1
        LayerCost c = LayerCost.of(LayerSpec.tt("t", "g", new int[] {3}, new int[] {5}, 1, false, 2, true), 1);
        assertEquals(16, c.params());
        assertEquals(2 * (1 + 2 + 4), c.bytes(Precision.INT2)); // ceil(6/8) + ceil(10/8) + scale, two copies
        assertEquals(2 * (2 + 3 + 4), c.bytes(Precision.INT4)); // ceil(12/8) + ceil(20/8) + scale
        assertEquals(2 * (3 + 5 + 4), c.bytes(Precision.INT8));
        assertEquals(2 * 4 * 8, c.bytes(Precision.FP32));
        assertEquals(7, Precision.INT2.packedBytes(25));
        assertEquals(4 * 25, Precision.FP32.packedBytes(25));
    }

    @Test
    void denseLayersAndTables() {
        LayerCost d = LayerCost.of(LayerSpec.dense("intent", "head", 768, 26, true, 1, false), 768);
        assertEquals(768 * 26, d.params());
        assertEquals(26, d.biasParams());
        assertEquals(2.0 * 768 * 768 * 26, d.flops());
        assertEquals(d.flops(), d.denseFlops());
        for (Precision p : Precision.values()) {
            assertEquals(4L * (768 * 26 + 26), d.bytes(p), "FP32 layer at " + p);
        }
        LayerCost q = LayerCost.of(LayerSpec.dense("q", "head", 768, 26, true, 1, true), 768);
        assertEquals(768 * 26 / 2 + 4 + 4 * 26, q.bytes(Precision.INT4));
        LayerCost table = LayerCost.of(LayerSpec.denseEmbedding("pos", "embedding", 64, 768, 1, false), 768);
        assertEquals(64 * 768, table.params());
        assertEquals(0, table.flops());
        assertEquals(4L * 64 * 768, table.bytes(Precision.INT2));
        LayerCost norm = LayerCost.of(LayerSpec.other("ln", "encoder", 1536, 4), 768);
        assertEquals(4 * 1536, norm.params());
        assertEquals(4 * 4 * 1536, norm.bytes(Precision.INT2));
        assertEquals(norm.denseBytes(), norm.bytes(Precision.FP32));
    }

    @Test
    void quantizedFlopRule() {
        assertEquals(1.0, Precision.FP32.flopFactor());
        assertEquals(1.0, Precision.INT8.flopFactor()); // 8 * 8 / 64
        assertEquals(0.5, Precision.INT4.flopFactor()); // 4 * 8 / 64
        assertEquals(0.25, Precision.INT2.flopFactor()); // 2 * 8 / 64
        LayerCost q = LayerCost.of(LayerSpec.tt("q", "g", OUT, IN, 10, true, 2, true), 128);
        LayerCost f = LayerCost.of(LayerSpec.tt("f", "g", OUT, IN, 10, true, 2, false), 128);
        assertEquals(q.flops(), f.flops());
        assertEquals(q.flops(), q.quantizedFlops(Precision.INT8));
        assertEquals(q.flops() / 2, q.quantizedFlops(Precision.INT4));
        assertEquals(q.flops() / 4, q.quantizedFlops(Precision.INT2));
        for (Precision p : Precision.values()) {
            assertEquals(f.flops(), f.quantizedFlops(p), "FP32 layers count plain FLOPs at " + p);
        }
        assertEquals(4L * 2 * (6880 + 768), f.bytes(Precision.INT2), "a layer kept in FP32 is not packed");
    }

    @Test
    void specChecksShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayerSpec.tt("x", "g", new int[] {24, 32}, new int[] {768}, 10, true, 1, true));
        assertTrue(e.getMessage().contains("out modes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LayerSpec.tt("x", "g", new int[] {0, 32}, IN, 10, true, 1, true));
        assertThrows(IllegalArgumentException.class, () -> LayerSpec.tt("x", "g", OUT, IN, 0, true, 1, true));
        assertThrows(IllegalArgumentException.class, () -> LayerSpec.tt("x", "g", OUT, IN, 10, true, 0, true));
        e = assertThrows(IllegalArgumentException.class,
                () -> LayerSpec.ttmEmbedding("e", "g", 801, new int[] {5, 5, 4, 4, 2}, new int[] {3, 4, 4, 4, 4}, 30, 1, true));
        assertTrue(e.getMessage().contains("vocabulary 801"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LayerSpec.other("o", "g", 10, 1).withCount(-1));
        assertThrows(IllegalArgumentException.class, () -> LayerSpec.tt("big", "g", new int[] {4096, 4096}, new int[] {4096, 4096},
                4000, true, 1, true));
        assertThrows(IllegalArgumentException.class, () -> LayerCost.of(LayerSpec.other("o", "g", 10, 1), 0));
    }
}
