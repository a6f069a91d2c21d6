package ttq.model.tt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ContractionPlanTest {
    static TtLinear attention() {
        return new TtLinear(new int[] {24, 32}, new int[] {32, 24}, 10, true, new Random(1));
    }

    @Test
    void specRoundTripsAndCostsAreHandComputable() {
        TensorNetwork net = attention().network(768);
        ContractionPlan p = ContractionPlan.parse(net, "((x,G4),G3),(G1,G2)");
        assertEquals("((x,G4),G3),(G1,G2)", p.spec());
        // x[b,j1,j2] G4[r3,j2]: 2*768*32*24*10; then G3[r2,j1,r3]: 2*768*32*10*10; G1 G2: 2*24*10*32*10; last: 2*768*10*24*32
        double expected = 2.0 * 768 * 32 * 24 * 10 + 2.0 * 768 * 32 * 10 * 10 + 2.0 * 24 * 10 * 32 * 10 + 2.0 * 768 * 10 * 24 * 32;
        assertEquals(expected, p.flops(), 1e-6);
        assertTrue(ContractionPlan.optimal(net).flops() <= expected);
    }

    @Test
    void badSpecsAreClearErrors() {
        TensorNetwork net = attention().network(8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContractionPlan.parse(net, "((x,G4),G3)"));
        assertTrue(e.getMessage().contains("leaves out [G1, G2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ContractionPlan.parse(net, "((x,G9),G3),(G1,G2)"));
        assertTrue(e.getMessage().contains("unknown tensor 'G9'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ContractionPlan.parse(net, "((x,x),G3),(G1,G2)"));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> attention().pin("(x,G1"));
        e = assertThrows(IllegalArgumentException.class,
                () -> ContractionPlan.parse(net, "(((x,G3),G4),(G1,G2)),(((x,G3),G4),(G1,G2))"));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TensorNetwork.builder().size("b", 2).tensor("x", "b").output("b", "b").build());
        assertTrue(e.getMessage().contains("given twice"), e.getMessage());
    }

    @Test
    void enumerationIsSortedAndCoversTheOptimum() {
        TensorNetwork net = attention().network(768);
        ContractionPlan.Enumeration all = ContractionPlan.enumerate(net, 10_000);
        assertTrue(all.plans().size() > 10, "orders: " + all.plans().size());
        for (int i = 1; i < all.plans().size(); i++) {
            assertTrue(all.plans().get(i - 1).flops() <= all.plans().get(i).flops());
        }
        assertEquals(all.plans().get(0).flops(), ContractionPlan.optimal(net).flops(), 1e-6);
    }

    @Test
    void emptyBatchesGiveEmptyOutputs() {
        TtLinear l = new TtLinear(new int[] {2, 3}, new int[] {4, 5}, 2, true, new Random(1));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 6}, l.forward(ttq.engine.Tensor.zeros(0, 20)).shape());
        TtmLinear t = new TtmLinear(new int[] {2, 3}, new int[] {4, 5}, 2, false, new Random(1));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 6}, t.forward(ttq.engine.Tensor.zeros(0, 20)).shape());
        TtmEmbedding e = new TtmEmbedding(10, new int[] {3, 4}, new int[] {2, 2}, 2, new Random(1));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 4}, e.forward(new int[0], 0).shape());
    }

    @Test
    void layersRejectBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> new TtLinear(new int[] {2, 3}, new int[] {4}, 2, false, new Random(1)));
        assertThrows(IllegalArgumentException.class, () -> new TtLinear(new int[] {2, 3}, new int[] {4, 5}, new int[] {2, 2}, false, new Random(1)));
        TtLinear l = new TtLinear(new int[] {2, 3}, new int[] {4, 5}, 2, false, new Random(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.forward(ttq.engine.Tensor.zeros(3, 21)));
        assertTrue(e.getMessage().contains("must end in 20"), e.getMessage());
        TtmEmbedding emb = new TtmEmbedding(10, new int[] {3, 4}, new int[] {2, 2}, 2, new Random(1));
        IndexOutOfBoundsException ie = assertThrows(IndexOutOfBoundsException.class, () -> emb.forward(new int[] {1, 10}, 2));
        assertTrue(ie.getMessage().contains("id 10 at position 1"), ie.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TtmEmbedding(13, new int[] {3, 4}, new int[] {2, 2}, 2, new Random(1)));
    }
}
