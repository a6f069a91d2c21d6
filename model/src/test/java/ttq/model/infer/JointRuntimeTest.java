package ttq.model.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import ttq.engine.GradMode;
import ttq.engine.StepScope;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;

/** The compiled runtime against the training network, batch independence, allocation-free steady state, and refusals. */
class JointRuntimeTest {
    private static final int[] LENGTHS = {5, 1, 16, 9, 3, 12, 7};

    /** ids for the utterances of LENGTHS, one after another. */
    private static int[] ids(TransformerConfig c, long seed) {
        Random r = new Random(seed);
        return r.ints(Arrays.stream(LENGTHS).sum(), 0, c.vocab()).toArray();
    }

    /** The training network's logits for the same utterances as one padded batch: intents [B, I] and the real tokens' slot rows. */
    private static float[][] training(JointIntentSlotModel m, int[] ids) {
        TransformerConfig c = m.config();
        int b = LENGTHS.length, l = Arrays.stream(LENGTHS).max().orElseThrow();
        int[] padded = new int[b * l];
        float[] mask = new float[b * l];
        for (int u = 0, t = 0; u < b; u++) {
            for (int i = 0; i < LENGTHS[u]; i++, t++) {
                padded[u * l + i] = ids[t];
                mask[u * l + i] = 1f;
            }
        }
        try (GradMode.Scope ignored = GradMode.noGrad(); StepScope step = StepScope.open()) {
            JointIntentSlotModel.Logits out = m.forward(padded, mask, b, l);
            float[] slots = new float[ids.length * c.slots()], all = out.slots().toArray();
            for (int u = 0, t = 0; u < b; u++) {
                System.arraycopy(all, u * l * c.slots(), slots, t * c.slots(), LENGTHS[u] * c.slots());
                t += LENGTHS[u];
            }
            return new float[][] {out.intents().toArray(), slots};
        }
    }

    @Test
    void floatModelsMatchTheTrainingNetwork() {
        for (String format : List.of("dense", "tt")) {
            TransformerConfig c = RuntimeChecks.small(format, 32);
            JointIntentSlotModel m = RuntimeChecks.initialised(c, 3);
            int[] ids = ids(c, 4);
            float[][] expected = training(m, ids);
            RuntimeSession s = JointRuntime.of(m).newSession(1);
            s.forward(ids, LENGTHS, LENGTHS.length);
            assertTrue(RuntimeChecks.relativeRms(expected[0], s.intentLogits(), expected[0].length) < 1e-5, format + " intents");
            assertTrue(RuntimeChecks.relativeRms(expected[1], s.slotLogits(), expected[1].length) < 1e-5, format + " slots");
        }
    }

    @Test
    void quantizedModelsStayCloseToTheTrainingNetwork() {
        for (int bits : new int[] {8, 4, 2}) {
            TransformerConfig c = RuntimeChecks.small("tt", bits);
            JointIntentSlotModel m = RuntimeChecks.initialised(c, 5);
            JointRuntime rt = JointRuntime.of(m);
            assertTrue(rt.integer(), "INT" + bits + " runs integer kernels");
            int[] ids = ids(c, 6);
            float[][] expected = training(m, ids);
            RuntimeSession s = rt.newSession(1);
            s.forward(ids, LENGTHS, LENGTHS.length);
            // two blocks of requantized layers in a hidden-24 model: a few percent (see RuntimeAttentionProperties)
            double intents = RuntimeChecks.relativeRms(expected[0], s.intentLogits(), expected[0].length);
            double slots = RuntimeChecks.relativeRms(expected[1], s.slotLogits(), expected[1].length);
            assertTrue(intents < 0.15 && slots < 0.15, "INT" + bits + ": intents " + intents + ", slots " + slots);
        }
    }

    @Test
    void anUtterancesLogitsDoNotDependOnItsBatchOrTheThreads() {
        for (TransformerConfig c : List.of(RuntimeChecks.small("tt", 8), RuntimeChecks.small("tt", 32), RuntimeChecks.small("dense", 32))) {
            JointRuntime rt = JointRuntime.of(RuntimeChecks.initialised(c, 7));
            int[] ids = ids(c, 8);
            RuntimeSession alone = rt.newSession(1);
            for (int threads : new int[] {1, 2, 3}) {
                RuntimeSession s = rt.newSession(threads);
                s.forward(ids, LENGTHS, LENGTHS.length);
                float[] intents = s.intentLogits().clone(), slots = s.slotLogits().clone();
                for (int u = 0, t = 0; u < LENGTHS.length; u++) {
                    alone.forward(Arrays.copyOfRange(ids, t, t + LENGTHS[u]), new int[] {LENGTHS[u]}, 1);
                    assertArrayEquals(Arrays.copyOfRange(alone.intentLogits(), 0, c.intents()),
                            Arrays.copyOfRange(intents, u * c.intents(), (u + 1) * c.intents()), c.format() + " utterance " + u);
                    assertArrayEquals(Arrays.copyOfRange(alone.slotLogits(), 0, LENGTHS[u] * c.slots()),
                            Arrays.copyOfRange(slots, t * c.slots(), (t + LENGTHS[u]) * c.slots()), c.format() + " utterance " + u);
                    t += LENGTHS[u];
                }
            }
        }
    }

    @Test
    void aSteadyStreamOfCallsAllocatesNothing() {
        TransformerConfig c = RuntimeChecks.small("tt", 8);
        RuntimeSession s = JointRuntime.of(RuntimeChecks.initialised(c, 9)).newSession(1);
        int[] ids = ids(c, 10), five = {5};
        for (int i = 0; i < 3000; i++) { // buffers grow to size, the JIT compiles (interpreted code may allocate)
            s.forward(ids, LENGTHS, LENGTHS.length);
            s.forward(ids, five, 1);
        }
        // the fewest bytes over five windows: a call that allocates shows in every window, while a one-off (a JIT
        // deoptimization re-materialising an object) shows in one
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long fewest = Long.MAX_VALUE;
        for (int window = 0; window < 5; window++) {
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100; i++) {
                s.forward(ids, LENGTHS, LENGTHS.length);
                s.forward(ids, five, 1);
            }
            fewest = Math.min(fewest, mx.getCurrentThreadAllocatedBytes() - before);
        }
        assertEquals(0, fewest, "bytes allocated by 200 steady-state calls");
    }

    @Test
    void refusesBadInputNamingIt() {
        TransformerConfig c = RuntimeChecks.small("tt", 8);
        RuntimeSession s = JointRuntime.of(RuntimeChecks.initialised(c, 11)).newSession(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.forward(new int[] {1, 2, 20}, new int[] {3}, 1));
        assertTrue(e.getMessage().contains("utterance 0, position 2") && e.getMessage().contains("20"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.forward(new int[] {1, -1}, new int[] {1, 1}, 2));
        assertTrue(e.getMessage().contains("utterance 1, position 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.forward(new int[20], new int[] {17}, 1));
        assertTrue(e.getMessage().contains("17 tokens") && e.getMessage().contains("1 to 16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.forward(new int[4], new int[] {0}, 1));
        assertTrue(e.getMessage().contains("0 tokens"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.forward(new int[3], new int[] {2, 2}, 2));
        assertTrue(e.getMessage().contains("4 tokens but 3 ids"), e.getMessage());
        IllegalArgumentException uninitialised = assertThrows(IllegalArgumentException.class,
                () -> JointRuntime.of(new JointIntentSlotModel(c, 1)));
        assertTrue(uninitialised.getMessage().contains("scale"), uninitialised.getMessage());
    }

    @Test
    void describesHowEachLayerRuns() {
        List<String> plan = JointRuntime.of(RuntimeChecks.initialised(RuntimeChecks.small("tt", 4), 12)).describe();
        String all = String.join("\n", plan);
        assertTrue(all.contains("TTM INT4") && all.contains("TT INT4 24 -> 48") && all.contains("INT8 products"), all);
        assertTrue(all.contains("; order pair (") || all.contains("; order chain ("), all);
        assertTrue(all.contains("TT FP32 24 -> 24"), "the classifier's TT layer stays FP32: " + all);
    }
}
