package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ttq predict and ttq eval's runtime engine on a model trained on a slice of ATIS and exported. */
class PredictCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void trainAndExport() throws IOException {
        model = trainedModel(dir);
    }

    /** A TT INT8 model trained 2 epochs on the 48-utterance slice, exported to dir/m.safetensors. */
    static Path trainedModel(Path dir) throws IOException {
        Path corpus = dir.resolve("corpus"), run = dir.resolve("run"), m = dir.resolve("m.safetensors");
        TrainCommandTest.sliceAtisInto(corpus);
        MainTest.Result r = TrainCommandTest.trainOn(corpus, run, "--epochs", "2");
        assertEquals(0, r.code(), r.err());
        r = MainTest.run("export", "--checkpoint", run.resolve("best.safetensors").toString(), "--out", m.toString());
        assertEquals(0, r.code(), r.err());
        return m;
    }

    @Test
    void printsOneJsonLinePerUtterance() throws IOException {
        MainTest.Result r = MainTest.run("predict", "--model", model.toString(), "show me flights from Boston to denver", "what is fare code h");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r.out());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertEquals(List.of("text", "intent", "intent_prob", "slots", "tags"), iterable(first.fieldNames()));
        assertEquals("show me flights from Boston to denver", first.get("text").asText());
        assertEquals(7, first.get("tags").size());
        assertTrue(first.get("intent_prob").asDouble() > 0 && first.get("intent_prob").asDouble() <= 1);
        for (JsonNode slot : first.get("slots")) {
            assertEquals(List.of("type", "start", "end", "text"), iterable(slot.fieldNames()));
        }
    }

    @Test
    void readsStdinAndReportsBadLinesWithoutAnsweringThem() {
        String input = "list flights to dallas\n\n" + "word ".repeat(40) + "\nfirst class\n";
        MainTest.Result r = withStdin(input, () -> MainTest.run("predict", "--model", model.toString(), "--batch", "1"));
        assertEquals(1, r.code(), "bad lines make the exit code 1");
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), "only the two valid lines are answered: " + r.out());
        assertTrue(lines.get(0).contains("\"list flights to dallas\"") && lines.get(1).contains("\"first class\""));
        List<String> errors = r.err().lines().toList();
        assertEquals(List.of("ttq: stdin:2: empty utterance", "ttq: stdin:3: 40 words, but the model takes at most 32 (its positional table)"),
                errors);
        assertFalse(r.err().contains("Exception"));
    }

    @Test
    void answersEqualWhateverTheBatch() {
        List<String> texts = List.of("i want to fly from boston to atlanta", "cheapest fare", "flights on monday morning", "ground transportation");
        String one = withStdin(String.join("\n", texts) + "\n", () -> MainTest.run("predict", "--model", model.toString(), "--batch", "1")).out();
        String all = MainTest.run("predict", "--model", model.toString(), "--threads", "3", texts.get(0), texts.get(1), texts.get(2),
                texts.get(3)).out();
        assertEquals(one, all, "batch 1 on one thread and batch 4 over three threads print the same");
    }

    @Test
    void refusesNonUtf8Input() {
        MainTest.Result r = withStdin(new byte[] {'o', 'k', '\n', (byte) 0xff, (byte) 0xfe, '\n'},
                () -> MainTest.run("predict", "--model", model.toString()));
        assertEquals(1, r.code());
        assertEquals("ttq: stdin:2: not UTF-8 text", r.err().strip());
        assertEquals(1, r.out().lines().count(), "the UTF-8 line is still answered: " + r.out());
    }

    @Test
    void evalComparesTheRuntimeWithTheTrainingNetwork(@TempDir Path out) throws IOException {
        Path corpus = dir.resolve("corpus");
        MainTest.Result r = MainTest.run("eval", "--model", model.toString(), "--data", corpus.toString(), "--compare", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("runtime engine") && r.out().contains("training engine") && r.out().contains("identical intent"), r.out());
        JsonNode agree = new ObjectMapper().readTree(out.resolve("eval.json").toFile()).get("agreement");
        assertTrue(agree.get("identical_intent_pct").asDouble() >= 90, agree.toString());
        assertTrue(agree.get("identical_tag_pct").asDouble() >= 95, agree.toString());
        r = MainTest.run("eval", "--model", model.toString(), "--data", corpus.toString(), "--engine", "tflite");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--engine must be runtime, training or onnx"), r.err());
    }

    @Test
    void infoDescribesTheRuntimePlan() {
        MainTest.Result r = MainTest.run("info", "--model", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("runtime plan") && r.out().contains("TTM INT8") && r.out().contains("; order "), r.out());
    }

    static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    static MainTest.Result withStdin(String text, java.util.function.Supplier<MainTest.Result> run) {
        return withStdin(text.getBytes(StandardCharsets.UTF_8), run);
    }

    static synchronized MainTest.Result withStdin(byte[] bytes, java.util.function.Supplier<MainTest.Result> run) {
        InputStream old = System.in;
        System.setIn(new ByteArrayInputStream(bytes));
        try {
            return run.get();
        } finally {
            System.setIn(old);
        }
    }
}
