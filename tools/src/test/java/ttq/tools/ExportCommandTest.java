package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.io.SafeTensors;

/** ttq export / eval / size --checkpoint on runs trained on a slice of ATIS. */
class ExportCommandTest {
    @TempDir
    static Path corpus;

    @BeforeAll
    static void slice() throws IOException {
        TrainCommandTest.sliceAtisInto(corpus);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8", "4", "2", "32", "dense"})
    void exportedModelPredictsLikeItsCheckpointAndHasThePredictedSize(String bits, @TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        MainTest.Result r = bits.equals("dense") ? TrainCommandTest.trainOn(corpus, run, "--epochs", "1", "--model", "dense", "--bits", "32")
                : TrainCommandTest.trainOn(corpus, run, "--epochs", "1", "--bits", bits);
        assertEquals(0, r.code(), r.err());
        Path model = dir.resolve("m.safetensors");
        r = MainTest.run("export", "--checkpoint", run.resolve("best.safetensors").toString(), "--out", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(dir.resolve("m.vocab.json")));
        assertEquals("ttq-compact-v1", SafeTensors.read(model).metadata().get("format"));

        // Predictions: the compact model, the checkpoint and the training run's own test pass agree line for line
        // (on the training network; the runtime's agreement is PredictCommandTest's).
        for (String which : new String[] {"compact", "checkpoint"}) {
            Path m = which.equals("compact") ? model : run.resolve("best.safetensors");
            r = MainTest.run("eval", "--model", m.toString(), "--data", corpus.toString(), "--engine", "training", "--out",
                    dir.resolve(which).toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(Files.readString(run.resolve("test_slots.txt")), Files.readString(dir.resolve(which).resolve("test_slots.txt")));
            assertEquals(Files.readString(run.resolve("test_intents.txt")),
                    Files.readString(dir.resolve(which).resolve("test_intents.txt")));
        }

        // Size: the tensor bytes equal ttq size's accounting; the whole file equals its predicted file size.
        long fileBytes = Files.size(model);
        long tensorBytes = SafeTensors.read(model).dataBytes();
        r = MainTest.run("size", "--checkpoint", run.resolve("best.safetensors").toString());
        assertEquals(0, r.code(), r.err());
        String key = bits.equals("dense") || bits.equals("32") ? "fp32" : "int" + bits;
        Matcher m = Pattern.compile("at its precision \\(" + key + "\\): (\\d+) bytes of tensors; its ttq export file: (\\d+) bytes")
                .matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals(tensorBytes, Long.parseLong(m.group(1)), "packed tensors as ttq size counts them");
        assertEquals(fileBytes, Long.parseLong(m.group(2)), 0.01 * fileBytes, "file size within 1% of the prediction");
        assertTrue(fileBytes < Files.size(run.resolve("best.safetensors")), "smaller than the FP32 model");
    }

    @Test
    void damagedOrIncompleteExportsAreOneLineDataErrors(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        assertEquals(0, TrainCommandTest.trainOn(corpus, run, "--epochs", "1", "--bits", "4").code());
        Path model = dir.resolve("m.safetensors");
        assertEquals(0, MainTest.run("export", "--checkpoint", run.resolve("best.safetensors").toString(), "--out", model.toString()).code());

        Path truncated = dir.resolve("t.safetensors");
        byte[] bytes = Files.readAllBytes(model);
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 100));
        Files.copy(dir.resolve("m.vocab.json"), dir.resolve("t.vocab.json"));
        MainTest.Result r = MainTest.run("eval", "--model", truncated.toString(), "--data", corpus.toString());
        assertEquals(Main.EXIT_DATA, r.code(), r.err());
        assertTrue(r.err().contains("t.safetensors") && r.err().strip().lines().count() == 1, r.err());

        Path orphan = dir.resolve("o.safetensors");
        Files.copy(model, orphan);
        r = MainTest.run("eval", "--model", orphan.toString(), "--data", corpus.toString());
        assertEquals(Main.EXIT_DATA, r.code());
        assertTrue(r.err().contains("o.vocab.json"), r.err());

        r = MainTest.run("export", "--checkpoint", model.toString(), "--out", dir.resolve("again.safetensors").toString());
        assertEquals(Main.EXIT_USAGE, r.code(), "a compact file is not a training checkpoint");
        Files.writeString(dir.resolve("m.vocab.json"), "{\"words\": [\"<pad>\"]}");
        r = MainTest.run("eval", "--model", model.toString(), "--data", corpus.toString());
        assertEquals(Main.EXIT_DATA, r.code());
        assertTrue(r.err().contains("m.vocab.json"), r.err());

        r = MainTest.run("export", "--checkpoint", dir.resolve("missing.safetensors").toString(), "--out", model.toString());
        assertEquals(Main.EXIT_USAGE, r.code());
        r = MainTest.run("size", "--preset", "atis-table1", "--checkpoint", run.resolve("best.safetensors").toString());
        assertEquals(Main.EXIT_USAGE, r.code());
        assertFalse(r.err().contains("Exception"), r.err());
    }
}
