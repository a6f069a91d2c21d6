package ttq.model.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.GradMode;
import ttq.engine.Tensor;
import ttq.engine.io.SafeTensors;

/** Loading paths: the bundled ONNX teacher, and a Hugging Face directory (config.json + model.safetensors). */
class PretrainedBertTest {
    static PretrainedBert minilm;

    @BeforeAll
    static void load() throws IOException {
        minilm = PretrainedBert.load("minilm");
    }

    @Test
    void theMiniLmShapeIsReadOffItsWeights() {
        assertEquals(new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12f, 0.1f), minilm.config());
    }

    /** A bert-base-uncased style checkpoint ("bert." prefix, pooler, classifier) of the same weights gives the same states. */
    @Test
    void aHuggingFaceDirectoryGivesTheSameEncoder(@TempDir Path dir) throws IOException {
        Map<String, Tensor> hf = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : minilm.weights().entrySet()) {
            hf.put("bert." + e.getKey(), e.getValue());
        }
        hf.put("classifier.weight", Tensor.zeros(2, 384));
        SafeTensors.write(dir.resolve("model.safetensors"), hf);
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["BertForSequenceClassification"], "hidden_act": "gelu", "hidden_size": 384,
                 "intermediate_size": 1536, "max_position_embeddings": 512, "num_attention_heads": 12,
                 "num_hidden_layers": 6, "type_vocab_size": 2, "vocab_size": 30522, "layer_norm_eps": 1e-12}
                """);
        try (InputStream in = PretrainedBertTest.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            Files.write(dir.resolve("tokenizer.json"), in.readAllBytes());
        }
        PretrainedBert fromDir = PretrainedBert.load(dir.toString());
        assertEquals(minilm.config(), fromDir.config());
        BertEncoder a = minilm.encoder(), b = fromDir.encoder();
        a.eval();
        b.eval();
        try (BertTokenizer tok = fromDir.tokenizer(64); GradMode.Scope ignored = GradMode.noGrad()) {
            BertInput in = tok.batch(List.of("a charming and often affecting journey", "unflinchingly bleak"), List.of("yes", "no"));
            assertArrayEquals(a.forward(in).toArray(), b.forward(in).toArray());
        }
    }

    @Test
    void missingOrMisShapedTensorsAreNamed(@TempDir Path dir) throws IOException {
        Map<String, Tensor> w = new LinkedHashMap<>(minilm.weights());
        w.remove("encoder.layer.3.output.dense.bias");
        IOException missing = assertThrows(IOException.class, () -> BertWeights.load(new BertEncoder(minilm.config(), 1), w, "x.onnx"));
        assertTrue(missing.getMessage().contains("encoder.layer.3.output.dense.bias"), missing.getMessage());
        Map<String, Tensor> w2 = new LinkedHashMap<>(minilm.weights());
        w2.put("encoder.layer.0.intermediate.dense.weight", Tensor.zeros(384, 1536));
        IOException shape = assertThrows(IOException.class, () -> BertWeights.load(new BertEncoder(minilm.config(), 1), w2, "x.onnx"));
        assertTrue(shape.getMessage().contains("encoder.layer.0.intermediate.dense.weight") && shape.getMessage().contains("[384, 1536]"),
                shape.getMessage());
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 384}");
        IOException config = assertThrows(IOException.class, () -> BertConfig.readHuggingFace(dir.resolve("config.json")));
        assertTrue(config.getMessage().contains("vocab_size"), config.getMessage());
        IOException notThere = assertThrows(IOException.class, () -> PretrainedBert.load(dir.resolve("nope").toString()));
        assertTrue(notThere.getMessage().contains("nope"), notThere.getMessage());
    }

    @Test
    void outOfRangeIdsAreRejectedBeforeAnyWork() throws IOException {
        BertEncoder e = minilm.encoder();
        BertInput bad = new BertInput(new int[] {101, 30522}, new int[2], new int[] {1, 1}, 1, 2);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> e.forward(bad));
        assertTrue(ex.getMessage().contains("30522"), ex.getMessage());
    }
}
