package ttq.model.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import ttq.model.data.JointBatcher;
import ttq.model.train.SlotDecoding;
import ttq.model.transformer.TransformerConfig;

class PredictorTest {
    @Test
    void spansAreReadAsConllevalReadsThem() {
        List<String> w = List.of("from", "salt", "lake", "city", "to", "new", "york", "today");
        List<Predictor.Slot> s = Predictor.spans(w, List.of("O", "B-from", "I-from", "I-from", "O", "B-to", "I-to", "B-date"));
        assertEquals(List.of(new Predictor.Slot("from", 1, 4, "salt lake city"), new Predictor.Slot("to", 5, 7, "new york"),
                new Predictor.Slot("date", 7, 8, "today")), s);
        // an I- after O or after another type starts a span of its own (argmax decoding can produce them)
        s = Predictor.spans(List.of("a", "b", "c"), List.of("I-x", "I-y", "I-y"));
        assertEquals(List.of(new Predictor.Slot("x", 0, 1, "a"), new Predictor.Slot("y", 1, 3, "b c")), s);
        assertEquals(List.of(), Predictor.spans(List.of("a"), List.of("O")));
    }

    @Test
    void predictsEveryTextWithItsOwnWordsAndRefusesBadOnes() {
        TransformerConfig c = RuntimeChecks.small("tt", 8);
        List<String> words = new ArrayList<>(List.of(JointBatcher.PAD, JointBatcher.UNK));
        for (int i = 2; i < c.vocab(); i++) {
            words.add("w" + i);
        }
        JointBatcher vocab = JointBatcher.of(words, List.of("a", "b", "c"), List.of("O", "B-x", "I-x", "B-y", "I-y"), c.maxLength());
        Predictor p = new Predictor(JointRuntime.of(RuntimeChecks.initialised(c, 1)), vocab, SlotDecoding.BIO, 2);
        List<Predictor.Prediction> out = p.predict(List.of("W2 w3 unseen", "  w5\tw6  ", "w7"));
        assertEquals(3, out.size());
        assertEquals("W2 w3 unseen", out.get(0).text());
        assertEquals(3, out.get(0).tags().size());
        assertEquals(2, out.get(1).tags().size(), "split on any whitespace");
        for (Predictor.Prediction x : out) {
            assertTrue(List.of("a", "b", "c").contains(x.intent()));
            assertTrue(x.intentProb() > 1.0 / 3 - 1e-9 && x.intentProb() <= 1.0, "the softmax probability of the argmax intent");
            assertEquals(Predictor.spans(Predictor.words(x.text()), x.tags()), x.slots());
        }
        // the same text alone gives the same prediction as in a batch, also past one runtime call's chunk
        assertEquals(out.get(1), p.predict(List.of("  w5\tw6  ")).get(0));
        List<String> many = new ArrayList<>();
        for (int i = 0; i < Predictor.CHUNK * 2 + 7; i++) {
            many.add("w" + (2 + i % 17) + " w" + (2 + i * 7 % 17));
        }
        List<Predictor.Prediction> all = p.predict(many);
        assertEquals(many.size(), all.size());
        for (int i : new int[] {0, Predictor.CHUNK - 1, Predictor.CHUNK, many.size() - 1}) {
            assertEquals(p.predict(List.of(many.get(i))).get(0), all.get(i), "text " + i);
        }
        Predictor.InvalidInputException e = assertThrows(Predictor.InvalidInputException.class, () -> p.predict(List.of("w2", " \t ")));
        assertEquals(1, e.index());
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        e = assertThrows(Predictor.InvalidInputException.class, () -> p.predict(List.of("w2 ".repeat(17))));
        assertTrue(e.getMessage().contains("17 words") && e.getMessage().contains("at most 16"), e.getMessage());
    }
}
