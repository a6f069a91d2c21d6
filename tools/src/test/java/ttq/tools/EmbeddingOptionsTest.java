package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.io.SafeTensors;
import ttq.model.transformer.TransformerConfig;

/** {@code train --embedding dense} and {@code --embedding-rank auto}: trained, sized, exported (compact and ONNX) and run. */
class EmbeddingOptionsTest {
    @Test
    void autoRankIsThirtyOnAtisAndGrowsWithTheVocabulary() {
        assertEquals(30, TransformerConfig.atisTable1(869, 21, 120, "tt", 8, 64, 0.1f).autoEmbeddingRank());
        int slurp = TransformerConfig.atisTable1(3128, 79, 104, "tt", 8, 64, 0.1f).autoEmbeddingRank();
        assertTrue(slurp > 30, "a vocabulary 3.6x ATIS's gets a larger rank, got " + slurp);
    }

    @Test
    void aDenseEmbeddingTtModelTrainsExportsAndRuns(@TempDir Path dir) throws IOException {
        Path corpus = dir.resolve("atis"), run = dir.resolve("run");
        TrainCommandTest.sliceAtisInto(corpus);
        MainTest.Result r = TrainCommandTest.trainOn(corpus, run, "--epochs", "1", "--embedding", "dense");
        assertEquals(0, r.code(), r.err());
        TransformerConfig c = new ObjectMapper().readValue(SafeTensors.readMetadata(run.resolve("best.safetensors")).get("config"),
                TransformerConfig.class);
        assertEquals("dense", c.embedding());
        assertEquals("tt", c.format());
        assertTrue(SafeTensors.read(run.resolve("best.safetensors")).contains("model.tokens"), "a dense token table");

        r = MainTest.run("size", "--checkpoint", run.resolve("best.safetensors").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("dense_embedding"), r.out());
        Path compact = dir.resolve("m.safetensors"), onnx = dir.resolve("m.onnx");
        assertEquals(0, MainTest.run("export", "--checkpoint", run.resolve("best.safetensors").toString(), "--out", compact.toString()).code());
        assertEquals(0, MainTest.run("export", "--format", "onnx", "--checkpoint", run.resolve("best.safetensors").toString(), "--out",
                onnx.toString()).code());
        r = MainTest.run("eval", "--model", compact.toString(), "--data", corpus.toString(), "--onnx", onnx.toString(), "--compare", "--out",
                dir.resolve("eval").toString());
        assertEquals(0, r.code(), r.err());
        JsonNode agree = new ObjectMapper().readTree(dir.resolve("eval").resolve("eval.json").toFile()).get("agreement");
        assertEquals(agree.get("onnx_vs_training").get("tokens").asInt(), agree.get("onnx_vs_training").get("identical_tags").asInt());
        assertTrue(agree.get("runtime_vs_training").get("identical_tag_pct").asDouble() >= 95, agree.toString());

        r = TrainCommandTest.trainOn(corpus, dir.resolve("auto"), "--epochs", "1", "--embedding-rank", "auto");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("--embedding-rank auto: "), r.out());
        r = TrainCommandTest.trainOn(corpus, dir.resolve("bad"), "--embedding", "table");
        assertEquals(Main.EXIT_USAGE, r.code());
        r = TrainCommandTest.trainOn(corpus, dir.resolve("bad2"), "--embedding-rank", "many");
        assertEquals(Main.EXIT_USAGE, r.code());
    }
}
