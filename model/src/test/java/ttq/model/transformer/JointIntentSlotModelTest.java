package ttq.model.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import ttq.engine.GradMode;
import ttq.engine.Tensor;
import ttq.engine.optim.Adam;

class JointIntentSlotModelTest {
    static TransformerConfig small(String format, int bits) {
        return new TransformerConfig(20, 24, 2, 2, 48, 10, 0.1f, 3, 5, format, bits, 3, 4,
                new int[] {4, 6}, new int[] {6, 4}, new int[] {6, 8}, new int[] {6, 4}, new int[] {4, 5}, new int[] {4, 6},
                bits != 32, bits != 32);
    }

    @Test
    void learnsATinyTaskInEveryFormat() {
        for (TransformerConfig c : new TransformerConfig[] {small("dense", 32), small("tt", 32), small("tt", 8), small("tt", 4)}) {
            JointIntentSlotModel m = new JointIntentSlotModel(c, 1);
            Adam opt = new Adam(m.parameters(), 3e-3f, 0.9f, 0.98f, 1e-8f, 0f);
            int b = 4, l = 5;
            int[] ids = {1, 2, 3, 0, 0, 4, 5, 6, 7, 0, 8, 9, 0, 0, 0, 10, 11, 12, 13, 14};
            float[] mask = new float[ids.length];
            int[] slots = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                mask[i] = ids[i] == 0 ? 0f : 1f;
                slots[i] = ids[i] == 0 ? -100 : ids[i] % 5;
            }
            int[] intents = {0, 1, 2, 1};
            float first = 0, last = 0;
            for (int step = 0; step < 150; step++) {
                m.reseedDropout(7, 0, step);
                opt.zeroGrad();
                Tensor loss = m.loss(m.forward(ids, mask, b, l), intents, slots);
                if (step == 0) {
                    first = loss.item();
                }
                last = loss.item();
                loss.backward();
                opt.step();
            }
            assertTrue(last < 0.3f * first, c.format() + " INT" + c.bits() + ": loss " + first + " -> " + last);
            m.eval();
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                JointIntentSlotModel.Logits out = m.forward(ids, mask, b, l);
                assertArrayEquals(new int[] {4, 3}, out.intents().shape());
                assertArrayEquals(new int[] {20, 5}, out.slots().shape());
            }
        }
    }

    @Test
    void paddingDoesNotChangeTheOutputOfRealTokens() {
        JointIntentSlotModel m = new JointIntentSlotModel(small("tt", 32), 3);
        m.eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            JointIntentSlotModel.Logits shortRun = m.forward(new int[] {3, 4}, new float[] {1, 1}, 1, 2);
            JointIntentSlotModel.Logits padded = m.forward(new int[] {3, 4, 0, 0}, new float[] {1, 1, 0, 0}, 1, 4);
            assertTrue(shortRun.intents().maxAbsDiff(padded.intents()) < 1e-4f);
            assertTrue(shortRun.slots().maxAbsDiff(padded.slots().slice(0, 0, 2)) < 1e-4f);
        }
    }

    /** Sinusoids at the token embeddings' root-mean-square; the table stays a trained parameter. */
    @Test
    void sinusoidalPositionsMatchTheFormulaAndTheTokenScale() {
        for (String format : new String[] {"dense", "tt"}) {
            JointIntentSlotModel m = new JointIntentSlotModel(small(format, 32), 5);
            m.initSinusoidalPositions();
            Tensor p = m.stateDict().get("positions");
            int d = 24;
            double tokenMs = 0;
            int[] ids = new int[20];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i;
            }
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                Tensor rows = format.equals("tt") ? ((ttq.model.tt.TtmEmbedding) m.namedModules().get("tokens")).forward(ids, 1, 20)
                        : m.stateDict().get("tokens");
                for (float v : rows.toArray()) {
                    tokenMs += (double) v * v;
                }
                tokenMs /= rows.numel();
            }
            double scale = Math.sqrt(2 * tokenMs);
            assertEquals(0f, p.get(0, 0), 1e-7f);
            assertEquals((float) scale, p.get(0, 1), 1e-6f * (float) scale);
            assertEquals((float) (scale * Math.sin(3 / Math.pow(10000, 4.0 / d))), p.get(3, 4), 1e-6f * (float) scale);
            assertEquals((float) (scale * Math.cos(7 / Math.pow(10000, 10.0 / d))), p.get(7, 11), 1e-6f * (float) scale);
            assertTrue(m.parameters().contains(p), format + ": the positional table is still a parameter");
        }
    }

    @Test
    void paperConfigurationAndBadOnes() {
        TransformerConfig c = TransformerConfig.atisTable1(870, 21, 120, "tt", 8, 64, 0.1f);
        assertTrue(TransformerConfig.product(c.embeddingRowModes()) >= 870);
        assertEquals(768, c.hidden());
        assertThrows(IllegalArgumentException.class, () -> TransformerConfig.atisTable1(870, 21, 120, "dense", 8, 64, 0.1f));
        assertThrows(IllegalArgumentException.class, () -> TransformerConfig.atisTable1(870, 21, 120, "tt", 3, 64, 0.1f));
        JointIntentSlotModel m = new JointIntentSlotModel(small("tt", 32), 1);
        assertThrows(IllegalArgumentException.class, () -> m.forward(new int[11], new float[11], 1, 11));
    }
}
