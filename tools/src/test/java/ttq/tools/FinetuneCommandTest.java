package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.io.SafeTensors;
import ttq.model.bert.BertConfig;
import ttq.model.bert.BertEncoder;
import ttq.model.bert.BertWeights;
import ttq.model.bert.SavedClassifier;

/** Fine-tuning on a small random "pretrained" encoder in a Hugging Face folder (fast), and its resume. */
class FinetuneCommandTest {
    static Path teacher(Path dir) throws IOException {
        Path t = dir.resolve("teacher");
        Files.createDirectories(t);
        BertConfig c = new BertConfig(30522, 32, 2, 4, 64, 128, 2, 1e-12f, 0.1f);
        SafeTensors.write(t.resolve("model.safetensors"), BertWeights.toHuggingFace(new BertEncoder(c, 3)));
        Files.writeString(t.resolve("config.json"), """
                {"hidden_act": "gelu", "hidden_size": 32, "intermediate_size": 64, "max_position_embeddings": 128,
                 "num_attention_heads": 4, "num_hidden_layers": 2, "type_vocab_size": 2, "vocab_size": 30522}
                """);
        try (InputStream in = FinetuneCommandTest.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            Files.write(t.resolve("tokenizer.json"), in.readAllBytes());
        }
        return t;
    }

    static Path glue(Path dir) throws IOException {
        Path g = dir.resolve("glue");
        Files.createDirectories(g.resolve("SST-2"));
        List<String> train = Files.readAllLines(Path.of("..", "test-data", "glue", "SST-2", "train.tsv")).subList(0, 41);
        List<String> dev = Files.readAllLines(Path.of("..", "test-data", "glue", "SST-2", "dev.tsv")).subList(0, 21);
        Files.write(g.resolve("SST-2").resolve("train.tsv"), train);
        Files.write(g.resolve("SST-2").resolve("dev.tsv"), dev);
        return g;
    }

    /** Accuracy (percent) re-scored from a dev_predictions.tsv of n examples. */
    static double rescored(Path tsv, int n) throws IOException {
        List<String> lines = Files.readAllLines(tsv);
        assertEquals("index\tgold\tpredicted\tprobability", lines.get(0));
        assertEquals(n + 1, lines.size());
        int right = 0;
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t");
            right += f[1].equals(f[2]) ? 1 : 0;
            double p = Double.parseDouble(f[3]);
            assertTrue(p >= 0.5 - 1e-6 && p <= 1, line); // the predicted class of two has probability >= 1/2
        }
        return 100.0 * right / n;
    }

    @Test
    void trainsScoresAndResumesToTheSameModel(@TempDir Path dir) throws Exception {
        Path t = teacher(dir), g = glue(dir);
        String[] common = {"finetune", "--task", "sst2", "--teacher", t.toString(), "--data", g.toString(), "--epochs", "2", "--batch", "8",
            "--checkpoint-steps", "2", "--lr", "1e-3"};
        Path full = dir.resolve("full"), cut = dir.resolve("cut");
        MainTest.Result r = MainTest.run(concat(common, "--out", full.toString()));
        assertEquals(0, r.code(), r.err());
        JsonNode res = new ObjectMapper().readTree(full.resolve("results.json").toFile());
        assertEquals(40, res.get("train_examples").asInt());
        assertEquals(20, res.get("dev_examples").asInt());
        double acc = res.get("dev_acc").asDouble();
        assertTrue(acc >= 0 && acc <= 100);
        assertEquals(acc, rescored(full.resolve("dev_predictions.tsv"), 20), 1e-9, "dev accuracy re-scored from dev_predictions.tsv");
        assertEquals(3, Files.readAllLines(full.resolve("metrics.csv")).size());

        r = MainTest.run(concat(common, "--out", cut.toString(), "--stop-after-steps", "3"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("stopped after 3 steps"), r.out());
        r = MainTest.run(concat(common, "--out", cut.toString(), "--resume"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("resuming"), r.out());
        assertArrayEquals(Files.readAllBytes(full.resolve("best.safetensors")), Files.readAllBytes(cut.resolve("best.safetensors")));
        assertEquals(Files.readString(full.resolve("metrics.csv")), Files.readString(cut.resolve("metrics.csv")));
        SavedClassifier.Loaded loaded = SavedClassifier.load(full.resolve("best.safetensors"));
        assertEquals("sst2", loaded.info().task());
        assertEquals(32, loaded.info().config().hidden());
    }

    @Test
    void badUsageAndBadDataAreOneLineErrors(@TempDir Path dir) throws Exception {
        MainTest.Result r = MainTest.run("finetune", "--task", "cola", "--out", dir.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("cola"), r.err());
        Path g = dir.resolve("glue");
        Files.createDirectories(g.resolve("SST-2"));
        Files.write(g.resolve("SST-2").resolve("train.tsv"), List.of("sentence\tlabel", "good film\t1", "bad film\tmaybe"));
        Files.write(g.resolve("SST-2").resolve("dev.tsv"), List.of("sentence\tlabel", "good\t1"));
        r = MainTest.run("finetune", "--task", "sst2", "--data", g.toString(), "--out", dir.resolve("y").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("train.tsv:3"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
