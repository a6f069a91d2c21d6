package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.GradMode;
import ttq.engine.io.SafeTensorFile;
import ttq.engine.io.SafeTensors;
import ttq.model.bert.BertEncoder;
import ttq.model.bert.BertInput;
import ttq.model.bert.BertTokenizer;
import ttq.model.bert.PretrainedBert;

class EmbedCommandTest {
    @Test
    void writesIdsMaskAndStatesThatMatchTheEncoderOnEachLineAlone(@TempDir Path dir) throws Exception {
        Path texts = dir.resolve("texts.txt");
        List<String> lines = List.of("it 's a charming and often affecting journey .", "unflinchingly bleak and desperate",
                "He said the pie business doesn't fit.\tThe pie business does not fit our strategy.");
        Files.write(texts, lines);
        Path out = dir.resolve("h.safetensors");
        MainTest.Result r = MainTest.run("embed", "--teacher", "minilm", "--in", texts.toString(), "--out", out.toString(), "--batch", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 inputs"), r.out());
        SafeTensorFile f = SafeTensors.read(out);
        long[] shape = f.get("input_ids").shape();
        assertEquals(3, shape[0]);
        int len = (int) shape[1];
        assertArrayEquals(new long[] {3, len, 384}, f.get("last_hidden_state").shape());
        assertEquals("minilm", f.metadata().get("teacher"));
        long[] ids = f.get("input_ids").toLongArray(), mask = f.get("attention_mask").toLongArray();
        float[] h = f.get("last_hidden_state").toFloatArray();
        PretrainedBert bert = PretrainedBert.load("minilm");
        BertEncoder enc = bert.encoder();
        enc.eval();
        try (BertTokenizer tok = bert.tokenizer(128); GradMode.Scope ignored = GradMode.noGrad()) {
            for (int i = 0; i < 3; i++) {
                String[] pair = lines.get(i).split("\t");
                BertInput one = tok.batch(List.of(pair[0]), pair.length == 2 ? List.of(pair[1]) : null);
                for (int t = 0; t < len; t++) {
                    assertEquals(t < one.length() ? one.ids()[t] : 0, ids[i * len + t], "id " + i + "," + t);
                    assertEquals(t < one.length() ? 1 : 0, mask[i * len + t]);
                }
                float[] alone = enc.forward(one).toArray();
                float[] padded = Arrays.copyOfRange(h, i * len * 384, (i * len + one.length()) * 384);
                for (int k = 0; k < alone.length; k++) {
                    assertEquals(alone[k], padded[k], 1e-4, "line " + i + " value " + k);
                }
            }
        }
    }

    @Test
    void aMalformedLineIsOneErrorNamingFileAndLine(@TempDir Path dir) throws Exception {
        Path texts = dir.resolve("texts.txt");
        Files.write(texts, List.of("fine sentence", "a\tb\tc"));
        MainTest.Result r = MainTest.run("embed", "--in", texts.toString(), "--out", dir.resolve("h.safetensors").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("texts.txt:2"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = MainTest.run("embed", "--teacher", dir.resolve("missing").toString(), "--in", texts.toString(), "--out", "x");
        assertEquals(1, r.code());
        r = MainTest.run("embed", "--in", texts.toString(), "--out", "x", "--max-length", "2");
        assertEquals(2, r.code());
    }
}
