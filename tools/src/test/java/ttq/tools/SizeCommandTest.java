package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ttq size}: both presets, a model file, JSON output, written tables and error exit codes. */
class SizeCommandTest {
    static final Path EXAMPLES = Path.of("..", "test-data", "size");

    static JsonNode json(String... args) throws Exception {
        MainTest.Result r = MainTest.run(args);
        assertEquals(0, r.code(), r.err());
        return new ObjectMapper().readTree(r.out());
    }

    static void oneLineError(MainTest.Result r, int code, String contains) {
        assertEquals(code, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(contains), r.err());
    }

    @Test
    void atisTable() {
        MainTest.Result r = MainTest.run("size", "--preset", "atis-table1");
        assertEquals(0, r.code(), r.err());
        for (String s : new String[] {"ttq size: atis-table1, 768 tokens", "embedding.tokens", "encoder.attention.qkvo", "slot.out",
                "total", "dense FP32 64.568 MB", "paper Table 2 (ATIS)", "3.3 (19x)", "1.0 (63x)", "MB INT2", "qGFLOPs INT4"}) {
            assertTrue(r.out().contains(s), s + " in\n" + r.out());
        }
    }

    @Test
    void atisJsonMatchesTheModel() throws Exception {
        JsonNode doc = json("size", "--preset", "atis-table1", "--json");
        assertEquals("atis-table1", doc.get("model").asText());
        assertEquals(768, doc.get("tokens").asInt());
        JsonNode t = doc.get("totals");
        assertEquals(345_406, t.get("total_params").asLong());
        assertEquals(139_490, t.get("quantized_params").asLong());
        assertEquals(4 * 345_406, t.get("bytes").get("fp32").asLong());
        assertEquals(4 * 16_141_980L, t.get("dense_bytes").asLong());
        long params = 0;
        double flops = 0;
        for (JsonNode l : doc.get("layers")) {
            params += l.get("params").asLong() + l.get("bias_params").asLong();
            flops += l.get("flops").asDouble();
        }
        assertEquals(345_406, params);
        assertEquals(t.get("flops").asDouble(), flops, 1e-6 * flops);
        assertEquals(t.get("flops").asDouble() / 2, t.get("quantized_flops").get("int4").asDouble(), t.get("flops").asDouble() / 2,
                "INT4 halves only the quantized layers");
        assertTrue(t.get("compression").get("int2").asDouble() > t.get("compression").get("fp32").asDouble());
        assertEquals(3.3, doc.get("paper").get("reported").get("fp32").get("size_mb").asDouble());
    }

    @Test
    void bertBothRanks() throws Exception {
        MainTest.Result r = MainTest.run("size", "--preset", "bert-base-table3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("paper Table 4 (BERT-base, rank 50)") && r.out().contains("99 (4x)")
                && r.out().contains("ours GFLOPs (encoder)"), r.out());
        JsonNode r50 = json("size", "--preset", "bert-base-table3", "--json");
        JsonNode r30 = json("size", "--preset", "bert-base-table3", "--rank", "30", "--json");
        assertEquals(128, r50.get("tokens").asInt());
        assertTrue(r30.get("totals").get("bytes").get("int4").asLong() < r50.get("totals").get("bytes").get("int4").asLong());
        assertEquals(4.8, r30.get("paper").get("reported").get("int4").get("size_mb").asDouble());
        assertEquals(r50.get("totals").get("dense_bytes").asLong(), r30.get("totals").get("dense_bytes").asLong());
        JsonNode fewer = json("size", "--preset", "bert-base-table3", "--tokens", "16", "--json");
        assertEquals(16, fewer.get("tokens").asInt());
        assertTrue(fewer.get("totals").get("dense_flops").asDouble() < r50.get("totals").get("dense_flops").asDouble());
        assertEquals(r50.get("totals").get("bytes").get("int8").asLong(), fewer.get("totals").get("bytes").get("int8").asLong());
    }

    @Test
    void modelFilesAndWrittenTables(@TempDir Path dir) throws Exception {
        JsonNode preset = json("size", "--preset", "atis-table1", "--json");
        JsonNode file = json("size", "--preset", EXAMPLES.resolve("atis-table1.json").toString(), "--json");
        assertEquals(preset.get("totals"), file.get("totals"));
        assertTrue(file.get("paper") == null, "no paper numbers for a model file");
        MainTest.Result r = MainTest.run("size", "--preset", EXAMPLES.resolve("tiny-custom.json").toString(), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("tiny-custom") && r.out().contains("no reference numbers"), r.out());
        for (String ext : new String[] {"csv", "json", "md"}) {
            assertTrue(Files.size(dir.resolve("size." + ext)) > 0, ext);
        }
        assertEquals(1 + 7 + 1, Files.readAllLines(dir.resolve("size.csv")).size(), "header, 7 layers, total");
        JsonNode written = new ObjectMapper().readTree(dir.resolve("size.json").toFile());
        assertEquals(8, written.get("rows").size());
        assertTrue(written.get("context").has("total size") && written.get("context").has("FLOPs"), written.toString());
    }

    @Test
    void errors(@TempDir Path dir) throws Exception {
        oneLineError(MainTest.run("size", "--preset", "atis"), Main.EXIT_USAGE, "unknown preset 'atis'");
        oneLineError(MainTest.run("size", "--preset", dir.resolve("none.json").toString()), Main.EXIT_DATA, "not found");
        oneLineError(MainTest.run("size", "--preset", "atis-table1", "--rank", "30"), Main.EXIT_USAGE, "--rank");
        oneLineError(MainTest.run("size", "--preset", "bert-base-table3", "--rank", "0"), Main.EXIT_USAGE, "--rank");
        oneLineError(MainTest.run("size", "--preset", "bert-base-table3", "--rank", "100000"), Main.EXIT_USAGE, "core elements");
        oneLineError(MainTest.run("size", "--preset", "atis-table1", "--tokens", "0"), Main.EXIT_USAGE, "--tokens");
        oneLineError(MainTest.run("size"), Main.EXIT_USAGE, "--preset");
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"name\": \"m\", \"layers\": [{\"name\": \"a\", \"kind\": \"dense\", \"in\": 4, \"out\": 2, \"rnak\": 3}]}");
        MainTest.Result r = MainTest.run("size", "--preset", bad.toString());
        oneLineError(r, Main.EXIT_DATA, "\"rnak\"");
        assertTrue(r.err().contains("layers[0]"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        Files.writeString(bad, "{not json");
        oneLineError(MainTest.run("size", "--preset", bad.toString()), Main.EXIT_DATA, "not valid JSON");
    }
}
