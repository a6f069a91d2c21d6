package ttq.model.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import ttq.model.data.Utterance;

class IntentSlotMetricsTest {

    private static List<String> tags(String s) {
        return Arrays.asList(s.split(" "));
    }

    /**
     * By hand: 1 all right; 2 intent wrong, tags right; 3 intent right, chunk c missed; 4 unseen gold intent
     * and unseen tag, both missed. Intent 2/4 = 50, frame 1/4 = 25; chunks: gold a, b, c, new = 4,
     * predicted a, b = 2, correct 2: P 100, R 50, F1 = 2*100*50/150 = 66.67.
     */
    @Test
    void handDerived() {
        List<String> goldIntents = List.of("flight", "airfare", "flight", "atis_day_name");
        List<String> predIntents = List.of("flight", "flight", "flight", "flight");
        List<List<String>> goldTags = List.of(tags("O B-a I-a"), tags("B-b O"), tags("O B-c"), tags("B-new"));
        List<List<String>> predTags = List.of(tags("O B-a I-a"), tags("B-b O"), tags("O O"), tags("O"));
        IntentSlotMetrics m = IntentSlotMetrics.of(goldIntents, predIntents, goldTags, predTags);
        assertEquals(4, m.utterances());
        assertEquals(2, m.correctIntents());
        assertEquals(1, m.correctFrames());
        assertEquals(50.0, m.intentAccuracy());
        assertEquals(25.0, m.frameAccuracy());
        assertEquals(2, m.slots().correctChunks());
        assertEquals(2, m.slots().predictedChunks());
        assertEquals(4, m.slots().goldChunks());
        assertEquals(100.0, m.slots().precision());
        assertEquals(50.0, m.slots().recall());
        assertEquals(200.0 / 3, m.slotF1(), 1e-12);
        // tokens: 3 + 2 + 2 + 1 = 8, wrong: "B-c" and "B-new" -> 6/8
        assertEquals(75.0, m.slotTokenAccuracy(), 1e-12);
        assertEquals("intent acc 50.00  slot F1 66.67  frame acc 25.00  (n=4)", m.summary());

        List<Utterance> gold = List.of(new Utterance(tags("a b c"), goldTags.get(0), goldIntents.get(0)),
                new Utterance(tags("a b"), goldTags.get(1), goldIntents.get(1)),
                new Utterance(tags("a b"), goldTags.get(2), goldIntents.get(2)),
                new Utterance(tags("a"), goldTags.get(3), goldIntents.get(3)));
        assertEquals(m, IntentSlotMetrics.of(gold, predIntents, predTags));
    }

    @Test
    void frameNeedsEveryTagIncludingOutsideOnes() {
        // same chunks, but an O predicted as I-x elsewhere: frame wrong, chunk of the gold still right
        IntentSlotMetrics m = IntentSlotMetrics.of(List.of("f"), List.of("f"), List.of(tags("B-a O")),
                List.of(tags("B-a B-x")));
        assertEquals(100.0, m.intentAccuracy());
        assertEquals(0.0, m.frameAccuracy());
        assertEquals(1, m.slots().correctChunks());
        assertEquals(50.0, m.slots().precision());
    }

    @Test
    void emptyAndMismatched() {
        IntentSlotMetrics m = IntentSlotMetrics.of(List.of(), List.of(), List.of(), List.of());
        assertEquals(0.0, m.intentAccuracy());
        assertEquals(0.0, m.frameAccuracy());
        assertEquals(0.0, m.slotF1());
        assertThrows(IllegalArgumentException.class,
                () -> IntentSlotMetrics.of(List.of("a"), List.of(), List.of(tags("O")), List.of(tags("O"))));
        assertThrows(IllegalArgumentException.class,
                () -> IntentSlotMetrics.of(List.of("a"), List.of("a"), List.of(tags("O O")), List.of(tags("O"))));
    }
}
