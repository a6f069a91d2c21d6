package ttq.model.size;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import ttq.model.data.DataFormatException;

/** Model spec files: the shipped examples, and errors that name the layer and the key. */
class SizeSpecJsonTest {
    static final Path DIR = Path.of("..", "test-data", "size");

    @Test
    void atisFileIsThePreset() throws Exception {
        ModelSpec file = ModelSpecJson.read(DIR.resolve("atis-table1.json"));
        ModelSpec preset = SizePresets.atisTable1();
        assertEquals(preset, file);
        SizeReport a = SizeReport.of(file), b = SizeReport.of(preset);
        assertEquals(b.totalParams(), a.totalParams());
        assertEquals(b.denseBytes(), a.denseBytes());
        for (Precision p : Precision.values()) {
            assertEquals(b.bytes(p), a.bytes(p));
            assertEquals(b.quantizedFlops(p), a.quantizedFlops(p));
        }
        assertEquals(b.flops(), a.flops());
        assertEquals(b.denseFlops(), a.denseFlops());
    }

    @Test
    void customExampleUsesEveryKind() throws Exception {
        ModelSpec spec = ModelSpecJson.read(DIR.resolve("tiny-custom.json"));
        assertEquals(64, spec.tokens());
        java.util.Set<LayerKind> kinds = java.util.EnumSet.noneOf(LayerKind.class);
        spec.layers().forEach(l -> kinds.add(l.kind()));
        assertEquals(java.util.EnumSet.allOf(LayerKind.class), kinds);
        SizeReport r = SizeReport.of(spec);
        SizePresetsTest.selfConsistent(r);
        LayerSpec down = spec.layers().get(4);
        assertFalse(down.bias());
        assertTrue(spec.layers().get(6).quantized());
        assertFalse(spec.layers().get(1).quantized());
    }

    static String errorOf(String json) {
        return assertThrows(DataFormatException.class, () -> ModelSpecJson.parse(json, "m.json")).getMessage();
    }

    static String model(String layer) {
        return "{\"name\": \"m\", \"tokens\": 4, \"layers\": [{\"name\": \"ok\", \"kind\": \"other\", \"params\": 2}, " + layer + "]}";
    }

    @Test
    void errorsNameTheKeyAndLayer() {
        String e = errorOf(model("{\"name\": \"a\", \"kind\": \"tt\", \"out_modes\": [4], \"in_modes\": [4], \"rank\": 2, \"ranks\": 3}"));
        assertTrue(e.contains("layers[1]") && e.contains("\"ranks\"") && e.contains("m.json"), e);
        e = errorOf(model("{\"name\": \"a\", \"kind\": \"tt\", \"out_modes\": [4], \"in_modes\": [4]}"));
        assertTrue(e.contains("layers[1]") && e.contains("missing required key \"rank\""), e);
        e = errorOf(model("{\"name\": \"a\", \"kind\": \"tt\", \"out_modes\": [4, 0], \"in_modes\": [4, 2], \"rank\": 2}"));
        assertTrue(e.contains("\"out_modes\""), e);
        e = errorOf(model("{\"name\": \"a\", \"kind\": \"tt\", \"out_modes\": [], \"in_modes\": [4], \"rank\": 2}"));
        assertTrue(e.contains("\"out_modes\""), e);
        e = errorOf(model("{\"name\": \"a\", \"kind\": \"tt\", \"out_modes\": \"24,32\", \"in_modes\": [4], \"rank\": 2}"));
        assertTrue(e.contains("\"out_modes\""), e);
        e = errorOf(model("{\"name\": \"a\", \"kind\": \"tt\", \"out_modes\": [4, 4], \"in_modes\": [16], \"rank\": 2}"));
        assertTrue(e.contains("layers[1] (\"a\")") && e.contains("2 out modes but 1 in modes"), e);
        e = errorOf(model("{\"name\": \"a\", \"kind\": \"tt\", \"out_modes\": [4], \"in_modes\": [4], \"rank\": 2, \"in\": 5}"));
        assertTrue(e.contains("\"in\" is 5"), e);
        e = errorOf(model("{\"name\": \"a\", \"kind\": \"tt\", \"out_modes\": [4], \"in_modes\": [4], \"rank\": 2.5}"));
        assertTrue(e.contains("\"rank\" must be an integer"), e);
        e = errorOf(model("{\"name\": \"a\", \"kind\": \"conv\"}"));
        assertTrue(e.contains("unknown kind \"conv\""), e);
        e = errorOf(model("{\"kind\": \"other\", \"params\": 3}"));
        assertTrue(e.contains("layers[1]") && e.contains("\"name\""), e);
        e = errorOf(model("{\"name\": \"a\", \"kind\": \"other\", \"params\": 3, \"quantized\": true}"));
        assertTrue(e.contains("\"quantized\""), e);
        e = errorOf(model("{\"name\": \"a\", \"kind\": \"dense\", \"in\": 3, \"out\": 2, \"bias\": \"yes\"}"));
        assertTrue(e.contains("\"bias\""), e);
        e = errorOf(model("{\"name\": \"a\", \"kind\": \"ttm_embedding\", \"vocab\": 900, \"row_modes\": [5, 5, 4, 4, 2],"
                + " \"col_modes\": [3, 4, 4, 4, 4], \"rank\": 30}"));
        assertTrue(e.contains("vocabulary 900"), e);
        e = errorOf(model("{\"name\": \"ok\", \"kind\": \"other\", \"params\": 3}"));
        assertTrue(e.contains("'ok' used twice"), e);
        e = errorOf("{\"name\": \"m\", \"layers\": [], \"extra\": 1}");
        assertTrue(e.contains("\"extra\""), e);
        e = errorOf("{\"name\": \"m\", \"layers\": []}");
        assertTrue(e.contains("at least one layer"), e);
        e = errorOf("{\"layers\": []}");
        assertTrue(e.contains("\"name\""), e);
        e = errorOf("{\"name\": \"m\", \"name\": \"n\", \"layers\": []}");
        assertTrue(e.contains("m.json") && e.contains("not valid JSON"), e);
        e = errorOf("{\"name\": \"m\", \"layers\": [");
        assertTrue(e.contains("m.json:") && e.contains("not valid JSON"), e);
        e = errorOf("[1, 2]");
        assertTrue(e.contains("must be a JSON object"), e);
        e = assertThrows(DataFormatException.class, () -> ModelSpecJson.read(DIR.resolve("no-such-file.json"))).getMessage();
        assertTrue(e.contains("no-such-file.json") && e.contains("not found"), e);
    }

    @Test
    void defaults() throws Exception {
        ModelSpec m = ModelSpecJson.parse("{\"name\": \"m\", \"layers\": [{\"name\": \"a\", \"kind\": \"tt\", \"out_modes\": [4, 2],"
                + " \"in_modes\": [2, 4], \"rank\": 3}, {\"name\": \"d\", \"kind\": \"dense\", \"in\": 8, \"out\": 2}]}", "m.json");
        assertEquals(1, m.tokens());
        LayerSpec a = m.layers().get(0), d = m.layers().get(1);
        assertTrue(a.quantized() && a.bias());
        assertEquals(1, a.count());
        assertEquals(ModelSpecJson.DEFAULT_GROUP, a.group());
        assertFalse(d.quantized());
        assertTrue(d.bias());
    }
}
