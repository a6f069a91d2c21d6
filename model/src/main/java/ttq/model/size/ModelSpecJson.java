package ttq.model.size;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ttq.model.data.DataFormatException;

/**
 * Reads a {@link ModelSpec} from JSON:
 *
 * <pre>{@code
 * {"name": "my-model", "tokens": 768, "description": "optional text",
 *  "layers": [
 *    {"name": "emb", "kind": "ttm_embedding", "vocab": 800, "row_modes": [5,5,4,4,2], "col_modes": [3,4,4,4,4], "rank": 30},
 *    {"name": "attn", "kind": "tt", "out_modes": [24,32], "in_modes": [32,24], "rank": 10, "bias": true, "count": 8},
 *    {"name": "head", "kind": "dense", "in": 768, "out": 26, "quantized": false},
 *    {"name": "norm", "kind": "other", "params": 1536, "count": 4}]}
 * }</pre>
 *
 * Kinds and their keys (besides {@code name}, {@code kind}, and the optional {@code group}
 * (default "model"), {@code count} (default 1) and {@code quantized} (default true for tt, ttm
 * and ttm_embedding, false otherwise)): {@code tt}/{@code ttm}: out_modes, in_modes, rank, and
 * optional bias (default true), in, out (checked against the modes); {@code dense}: in, out,
 * optional bias (default true); {@code ttm_embedding}: vocab, row_modes, col_modes, rank, optional
 * hidden (checked); {@code dense_embedding}: vocab, hidden; {@code other}: params. {@code tokens}
 * is optional (default 1: FLOPs per token). Unknown or missing keys, wrong types, bad modes and
 * inconsistent sizes raise {@link DataFormatException} naming the file, the layer index and the key.
 */
public final class ModelSpecJson {
    private static final JsonMapper MAPPER = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    private static final Set<String> TOP_KEYS = Set.of("name", "tokens", "description", "layers");
    private static final List<String> COMMON_KEYS = List.of("name", "kind", "group", "count", "quantized");
    private static final Map<LayerKind, List<String>> KIND_KEYS = Map.of(
            LayerKind.TT, List.of("out_modes", "in_modes", "rank", "bias", "in", "out"),
            LayerKind.TTM, List.of("out_modes", "in_modes", "rank", "bias", "in", "out"),
            LayerKind.DENSE, List.of("in", "out", "bias"),
            LayerKind.TTM_EMBEDDING, List.of("vocab", "row_modes", "col_modes", "rank", "hidden"),
            LayerKind.DENSE_EMBEDDING, List.of("vocab", "hidden"),
            LayerKind.OTHER, List.of("params"));
    /** Group of layers that name none. */
    public static final String DEFAULT_GROUP = "model";

    private ModelSpecJson() {
    }

    /** Reads a spec file; unreadable files and bad content raise {@link DataFormatException} naming the file. */
    public static ModelSpec read(Path file) throws DataFormatException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file + ": model file not found");
        } catch (IOException e) {
            throw new DataFormatException(file + ": cannot read model file (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
        return parse(text, file.toString());
    }

    /** Parses spec text; {@code source} names it in error messages. */
    public static ModelSpec parse(String json, String source) throws DataFormatException {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new DataFormatException(source + (at == null ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr())
                    + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new DataFormatException(source + ": must be a JSON object with \"name\" and \"layers\"");
        }
        checkKeys(root, TOP_KEYS, source + ": unknown top-level key");
        Reader top = new Reader(root, source);
        String name = top.string("name", null);
        int tokens = top.integer("tokens", 1);
        if (root.has("description") && !root.get("description").isTextual()) {
            throw new DataFormatException(source + ": key \"description\" must be a string");
        }
        JsonNode layers = root.get("layers");
        if (layers == null) {
            throw new DataFormatException(source + ": missing required key \"layers\"");
        }
        if (!layers.isArray()) {
            throw new DataFormatException(source + ": key \"layers\" must be an array of layer objects");
        }
        List<LayerSpec> specs = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            specs.add(layer(layers.get(i), source + ": layers[" + i + "]"));
        }
        try {
            return new ModelSpec(name, tokens, specs);
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(source + ": " + e.getMessage());
        }
    }

    private static LayerSpec layer(JsonNode n, String where) throws DataFormatException {
        if (!n.isObject()) {
            throw new DataFormatException(where + ": must be a JSON object");
        }
        JsonNode nameNode = n.get("name");
        String label = nameNode != null && nameNode.isTextual() ? where + " (\"" + nameNode.asText() + "\")" : where;
        Reader r = new Reader(n, label);
        String kindKey = r.string("kind", null);
        LayerKind kind = LayerKind.fromKey(kindKey);
        if (kind == null) {
            List<String> kinds = new ArrayList<>();
            for (LayerKind k : LayerKind.values()) {
                kinds.add(k.key());
            }
            throw new DataFormatException(label + ": unknown kind \"" + kindKey + "\" (kinds: " + String.join(", ", kinds) + ")");
        }
        Set<String> allowed = new LinkedHashSet<>(COMMON_KEYS);
        allowed.addAll(KIND_KEYS.get(kind));
        checkKeys(n, allowed, label + ": unknown key for kind \"" + kind.key() + "\"");
        String name = r.string("name", null);
        String group = r.string("group", DEFAULT_GROUP);
        int count = r.integer("count", 1);
        boolean quantized = r.bool("quantized", kind.isCompressed());
        try {
            LayerSpec spec = switch (kind) {
                case TT, TTM -> {
                    int[] outModes = r.modes("out_modes"), inModes = r.modes("in_modes");
                    int rank = r.integer("rank", null);
                    boolean bias = r.bool("bias", true);
                    LayerSpec s = kind == LayerKind.TT ? LayerSpec.tt(name, group, outModes, inModes, rank, bias, count, quantized)
                            : LayerSpec.ttm(name, group, outModes, inModes, rank, bias, count, quantized);
                    r.check("in", s.in());
                    r.check("out", s.out());
                    yield s;
                }
                case DENSE -> LayerSpec.dense(name, group, r.integer("in", null), r.integer("out", null), r.bool("bias", true),
                        count, quantized);
                case TTM_EMBEDDING -> {
                    int vocab = r.integer("vocab", null);
                    int[] rows = r.modes("row_modes"), cols = r.modes("col_modes");
                    LayerSpec s = LayerSpec.ttmEmbedding(name, group, vocab, rows, cols, r.integer("rank", null), count, quantized);
                    r.check("hidden", s.out());
                    yield s;
                }
                case DENSE_EMBEDDING -> LayerSpec.denseEmbedding(name, group, r.integer("vocab", null), r.integer("hidden", null),
                        count, quantized);
                case OTHER -> {
                    if (n.has("quantized") && quantized) {
                        throw new DataFormatException(label + ": key \"quantized\": kind \"other\" is always FP32");
                    }
                    yield LayerSpec.other(name, group, r.longValue("params"), count);
                }
            };
            return spec;
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(label + ": " + e.getMessage());
        }
    }

    private static void checkKeys(JsonNode n, Set<String> allowed, String what) throws DataFormatException {
        for (Iterator<String> it = n.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!allowed.contains(key)) {
                throw new DataFormatException(what + " \"" + key + "\" (allowed: " + String.join(", ", allowed) + ")");
            }
        }
    }

    /** Typed access to the keys of one JSON object, with errors naming the key. */
    private static final class Reader {
        private final JsonNode n;
        private final String where;

        Reader(JsonNode n, String where) {
            this.n = n;
            this.where = where;
        }

        private JsonNode required(String key) throws DataFormatException {
            JsonNode v = n.get(key);
            if (v == null || v.isNull()) {
                throw new DataFormatException(where + ": missing required key \"" + key + "\"");
            }
            return v;
        }

        String string(String key, String fallback) throws DataFormatException {
            if (fallback != null && !n.has(key)) {
                return fallback;
            }
            JsonNode v = required(key);
            if (!v.isTextual() || v.asText().isBlank()) {
                throw new DataFormatException(where + ": key \"" + key + "\" must be a non-empty string, got " + v);
            }
            return v.asText();
        }

        int integer(String key, Integer fallback) throws DataFormatException {
            if (fallback != null && !n.has(key)) {
                return fallback;
            }
            JsonNode v = required(key);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new DataFormatException(where + ": key \"" + key + "\" must be an integer, got " + v);
            }
            return v.intValue();
        }

        long longValue(String key) throws DataFormatException {
            JsonNode v = required(key);
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw new DataFormatException(where + ": key \"" + key + "\" must be an integer, got " + v);
            }
            return v.longValue();
        }

        boolean bool(String key, boolean fallback) throws DataFormatException {
            if (!n.has(key)) {
                return fallback;
            }
            JsonNode v = n.get(key);
            if (!v.isBoolean()) {
                throw new DataFormatException(where + ": key \"" + key + "\" must be true or false, got " + v);
            }
            return v.booleanValue();
        }

        int[] modes(String key) throws DataFormatException {
            JsonNode v = required(key);
            if (!v.isArray() || v.isEmpty()) {
                throw new DataFormatException(where + ": key \"" + key + "\" must be a non-empty array of positive integers, got " + v);
            }
            int[] m = new int[v.size()];
            for (int i = 0; i < m.length; i++) {
                JsonNode e = v.get(i);
                if (!e.isIntegralNumber() || !e.canConvertToInt() || e.intValue() < 1) {
                    throw new DataFormatException(where + ": key \"" + key + "\" must hold positive integers, got " + v);
                }
                m[i] = e.intValue();
            }
            return m;
        }

        /** An optional integer key that must equal what the modes imply. */
        void check(String key, int implied) throws DataFormatException {
            if (n.has(key)) {
                int given = integer(key, null);
                if (given != implied) {
                    throw new DataFormatException(where + ": key \"" + key + "\" is " + given + " but the modes give " + implied);
                }
            }
        }
    }
}
