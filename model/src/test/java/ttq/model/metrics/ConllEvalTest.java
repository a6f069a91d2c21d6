package ttq.model.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.model.data.DataFormatException;

class ConllEvalTest {

    private static List<String> tags(String s) {
        return s.isBlank() ? List.of() : Arrays.asList(s.trim().split("\\s+"));
    }

    /** Scores one sentence pair given as space-separated tag strings. */
    private static ConllEval.Result one(String gold, String pred) {
        return ConllEval.evaluate(List.of(tags(gold)), List.of(tags(pred)));
    }

    private static void assertCounts(ConllEval.Result r, int correct, int predicted, int gold) {
        assertEquals(correct, r.correctChunks(), "correct");
        assertEquals(predicted, r.predictedChunks(), "predicted");
        assertEquals(gold, r.goldChunks(), "gold");
    }

    @Test
    void iAfterOStartsAChunk() {
        ConllEval.Result r = one("O I-a I-a", "O B-a I-a");
        assertCounts(r, 1, 1, 1);
        assertEquals(100.0, r.f1());
        assertEquals(3, r.tokens());
        assertEquals(2, r.correctTokens()); // I-a vs B-a differs as a tag
        // I- at the very start of a sentence also starts a chunk
        assertCounts(one("I-a O", "B-a O"), 1, 1, 1);
    }

    @Test
    void typeChangeInsideAnIRunStartsANewChunk() {
        assertCounts(one("I-a I-a I-b I-b", "I-a I-a I-b I-b"), 2, 2, 2);
        // predicted a spans 0..2, gold a spans 0..1: no boundary match, and b differs too
        assertCounts(one("I-a I-a I-b I-b", "I-a I-a I-a I-b"), 0, 2, 2);
        // I-b right after B-a starts a b chunk
        assertCounts(one("B-a I-b", "B-a I-b"), 2, 2, 2);
    }

    @Test
    void bInTheMiddleSplitsAChunk() {
        ConllEval.Result r = one("B-a I-a B-a I-a", "B-a I-a I-a I-a");
        assertCounts(r, 0, 1, 2);
        assertEquals(0.0, r.precision());
        assertEquals(0.0, r.recall());
        assertEquals(0.0, r.f1());
        assertCounts(one("B-a B-a B-a", "B-a B-a B-a"), 3, 3, 3);
    }

    @Test
    void chunkEndsAtSentenceEnd() {
        assertCounts(one("O B-a I-a", "O B-a I-a"), 1, 1, 1);
        assertCounts(one("O B-a I-a", "O B-a O"), 0, 1, 1);
        assertCounts(one("O B-a I-a", "O B-a B-a"), 0, 2, 1);
        // the boundary ends the chunk: I-a opening the next sentence is a new chunk
        ConllEval.Result split = ConllEval.evaluate(List.of(tags("O B-a"), tags("I-a O")),
                List.of(tags("O B-a"), tags("I-a O")));
        assertCounts(split, 2, 2, 2);
        assertCounts(one("O B-a I-a O", "O B-a I-a O"), 1, 1, 1);
        // gold chunk split by the boundary, prediction spans both sentences as B then I: both a chunks
        ConllEval.Result across = ConllEval.evaluate(List.of(tags("B-a"), tags("B-a")), List.of(tags("B-a"), tags("I-a")));
        assertCounts(across, 2, 2, 2);
    }

    @Test
    void allOSentences() {
        ConllEval.Result r = one("O O O", "O O O");
        assertCounts(r, 0, 0, 0);
        assertEquals(0.0, r.precision());
        assertEquals(0.0, r.recall());
        assertEquals(0.0, r.f1()); // conlleval prints FB1 0 when there are no chunks at all
        assertEquals(100.0, r.accuracy());
    }

    @Test
    void emptyPredictions() {
        ConllEval.Result r = one("B-a I-a O B-b", "O O O O");
        assertCounts(r, 0, 0, 2);
        assertEquals(0.0, r.precision());
        assertEquals(0.0, r.recall());
        assertEquals(0.0, r.f1());
        assertEquals(25.0, r.accuracy());
        ConllEval.Result spurious = one("O O", "B-a O");
        assertCounts(spurious, 0, 1, 0);
        assertEquals(0.0, spurious.f1());
        ConllEval.Result none = ConllEval.evaluate(List.of(), List.of());
        assertCounts(none, 0, 0, 0);
        assertEquals(0, none.tokens());
        assertEquals(0.0, none.accuracy());
        assertEquals("processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n", none.report());
        ConllEval.Result emptySentence = ConllEval.evaluate(List.of(List.of()), List.of(List.of()));
        assertEquals(0, emptySentence.tokens());
    }

    /**
     * Worked by hand. Sentence 1: gold from[0-1] to[3] date[5]; predicted from[0-1] to[3-4] date[5]:
     * 2 of 3 correct, 5 of 6 tags right. Sentence 2: gold x[1-2] (I after O) y[4]; predicted x[1],
     * y[2-3] (I-y after I-x), y[4]: 1 correct, 2 of 5 tags right. Totals: 3 correct, 6 predicted, 5 gold,
     * 7 of 11 tokens. P = 300/6 = 50, R = 300/5 = 60, F1 = 6000/110 = 54.5454..., acc = 700/11 = 63.6363...
     */
    @Test
    void handDerivedTotals() {
        List<List<String>> gold = List.of(tags("B-from I-from O B-to O B-date"), tags("O I-x I-x O B-y"));
        List<List<String>> pred = List.of(tags("B-from I-from O B-to I-to B-date"), tags("O B-x I-y I-y B-y"));
        ConllEval.Result r = ConllEval.evaluate(gold, pred);
        assertCounts(r, 3, 6, 5);
        assertEquals(11, r.tokens());
        assertEquals(7, r.correctTokens());
        assertEquals(50.0, r.precision(), 1e-12);
        assertEquals(60.0, r.recall(), 1e-12);
        assertEquals(6000.0 / 110, r.f1(), 1e-12);
        assertEquals(700.0 / 11, r.accuracy(), 1e-12);
        assertEquals("54.55", ConllEval.percent(r.f1()));
        assertEquals("63.64", ConllEval.percent(r.accuracy()));

        assertEquals(List.of("date", "from", "to", "x", "y"), List.copyOf(r.byType().keySet()));
        assertEquals(new ConllEval.TypeCounts("from", 1, 1, 1), r.byType().get("from"));
        assertEquals(new ConllEval.TypeCounts("to", 0, 1, 1), r.byType().get("to"));
        assertEquals(new ConllEval.TypeCounts("x", 0, 1, 1), r.byType().get("x"));
        assertEquals(new ConllEval.TypeCounts("y", 1, 2, 1), r.byType().get("y"));
        assertEquals(50.0, r.byType().get("y").precision(), 1e-12);
        assertEquals(100.0, r.byType().get("y").recall(), 1e-12);

        String[] lines = r.report().split("\n");
        assertEquals("processed 11 tokens with 5 phrases; found: 6 phrases; correct: 3.", lines[0]);
        assertEquals("accuracy:  63.64%; precision:  50.00%; recall:  60.00%; FB1:  54.55", lines[1]);
        assertEquals("             date: precision: 100.00%; recall: 100.00%; FB1: 100.00  1", lines[2]);
        assertEquals("                y: precision:  50.00%; recall: 100.00%; FB1:  66.67  2", lines[6]);
        assertEquals(7, lines.length);
    }

    @Test
    void percentRoundsLikeCPrintf() {
        // checked against perl's printf "%.2f" (C rounding of the exact binary value)
        assertEquals("0.12", ConllEval.percent(0.125));
        assertEquals("0.38", ConllEval.percent(0.375));
        assertEquals("1.00", ConllEval.percent(1.005));
        assertEquals("2.67", ConllEval.percent(2.675));
        assertEquals("100.00", ConllEval.percent(100));
        assertEquals("0.00", ConllEval.percent(0));
    }

    @Test
    void rejectsMismatchesAndNonBioTags() {
        assertThrows(IllegalArgumentException.class, () -> ConllEval.evaluate(List.of(tags("O")), List.of()));
        assertThrows(IllegalArgumentException.class, () -> one("O O", "O"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> one("O E-a", "O O"));
        assertTrue(e.getMessage().contains("E-a"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ConllEval.Sentence(tags("a b"), tags("O"), tags("O O")));
    }

    @Test
    void formatAndParseRoundTrip(@TempDir Path dir) throws IOException {
        List<ConllEval.Sentence> sentences = List.of(
                new ConllEval.Sentence(tags("flights to boston"), tags("O O B-to"), tags("O O B-to")),
                new ConllEval.Sentence(tags("on monday"), tags("O B-day"), tags("O O")));
        String text = ConllEval.format(sentences);
        assertEquals("flights O O\nto O O\nboston B-to B-to\n\non O O\nmonday B-day O\n\n", text);
        Path file = dir.resolve("out.conll");
        ConllEval.write(file, sentences);
        assertEquals(text, Files.readString(file));
        List<ConllEval.Sentence> back = ConllEval.read(file);
        assertEquals(sentences, back);
        assertEquals(ConllEval.evaluateSentences(sentences), ConllEval.evaluateSentences(back));
    }

    @Test
    void parseAcceptsExtraColumnsBlankRunsAndDocstart() throws DataFormatException {
        List<ConllEval.Sentence> s = ConllEval.parse("x", List.of("", "-X- -X- O O", "a NN B-t B-t", "b NN I-t O", "",
                "", "c NN O O", "-X- -X- O O", "d NN B-u B-u"));
        assertEquals(3, s.size());
        assertEquals(tags("a b"), s.get(0).tokens());
        assertEquals(tags("B-t I-t"), s.get(0).gold());
        assertEquals(tags("B-t O"), s.get(0).predicted());
        assertEquals(tags("d"), s.get(2).tokens());
        // tab-separated input is accepted too
        assertEquals(tags("B-t"), ConllEval.parse("x", List.of("a\tB-t\tO")).get(0).gold());
    }

    @Test
    void malformedLinesNameFileAndLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.conll");
        Files.writeString(file, "a O O\nb O\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> ConllEval.read(file));
        assertTrue(e.getMessage().startsWith(file + ":2: "), e.getMessage());

        e = assertThrows(DataFormatException.class, () -> ConllEval.parse("f.txt", List.of("a O O", "", "b X O O")));
        assertTrue(e.getMessage().startsWith("f.txt:3: "), e.getMessage());
        e = assertThrows(DataFormatException.class, () -> ConllEval.parse("f.txt", List.of("a O O", "b B-x S-x")));
        assertTrue(e.getMessage().startsWith("f.txt:2: ") && e.getMessage().contains("S-x"), e.getMessage());
    }

    @Test
    void formatRejectsTokensThatWouldNotReadBack() {
        assertThrows(IllegalArgumentException.class,
                () -> ConllEval.format(List.of(new ConllEval.Sentence(List.of("new york"), tags("O"), tags("O")))));
        assertThrows(IllegalArgumentException.class,
                () -> ConllEval.format(List.of(new ConllEval.Sentence(List.of(""), tags("O"), tags("O")))));
        assertThrows(IllegalArgumentException.class,
                () -> ConllEval.format(List.of(new ConllEval.Sentence(List.of("-X-"), tags("O"), tags("O")))));
    }
}
