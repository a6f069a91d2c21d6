package ttq.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import ttq.model.data.DataFormatException;

/**
 * A sweep file and the points it expands to. The file is a JSON (or YAML) object:
 * <pre>
 * {"command": "train", "out": "results/sweep-atis",
 *  "base": {"epochs": 3},
 *  "grid": {"rank": [5, 10, 20], "bits": [2, 4, 8, 32]}}
 * </pre>
 * {@code base} and each grid key are options of {@code command} (as in {@code --config}); every
 * combination of the grid's values is one point, named from its values ({@code rank5-bits2}),
 * whose run folder is {@code OUT/points/NAME} and whose config is {@code OUT/configs/NAME.json}.
 */
record SweepPlan(String command, Path out, ObjectNode base, Map<String, List<JsonNode>> grid, List<Point> points) {
    static final Set<String> COMMANDS = Set.of("train", "distill");
    private static final Set<String> KEYS = Set.of("command", "out", "base", "grid");

    /** One configuration: its name, its grid values and its complete config (with {@code out}). */
    record Point(String name, Map<String, JsonNode> values, ObjectNode config) {
    }

    Path runFolder(Point p) {
        return out.resolve("points").resolve(p.name());
    }

    Path configFile(Point p) {
        return out.resolve("configs").resolve(p.name() + ".json");
    }

    /** Reads and checks a sweep file against the command's options; {@code outOverride} may be null. */
    static SweepPlan read(Path file, Path outOverride, Map<String, CommandSpec> commands) throws IOException {
        ObjectNode root = ExperimentConfig.read(file);
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw new UsageException(file + ": unknown key '" + k + "' (a sweep has command, out, base, grid)");
            }
        }
        String command = root.path("command").asText("");
        if (!COMMANDS.contains(command)) {
            throw new UsageException(file + ": command must be train or distill, got '" + command + "'");
        }
        Path out = outOverride != null ? outOverride : root.hasNonNull("out") ? Path.of(root.get("out").asText()) : null;
        if (out == null) {
            throw new UsageException(file + ": no out folder (key out, or --out)");
        }
        JsonNode baseNode = root.path("base");
        if (!baseNode.isMissingNode() && !baseNode.isObject()) {
            throw new UsageException(file + ": base must be an object of option names and values");
        }
        ObjectNode base = baseNode.isObject() ? (ObjectNode) baseNode : new ObjectMapper().createObjectNode();
        JsonNode gridNode = root.path("grid");
        if (!gridNode.isObject() || gridNode.isEmpty()) {
            throw new UsageException(file + ": grid must be a non-empty object of option names and value lists");
        }
        Map<String, List<JsonNode>> grid = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = gridNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isArray() || e.getValue().isEmpty()) {
                throw new UsageException(file + ": grid key '" + e.getKey() + "' needs a non-empty list of values");
            }
            if (base.has(e.getKey())) {
                throw new UsageException(file + ": key '" + e.getKey() + "' is in both base and grid");
            }
            List<JsonNode> values = new ArrayList<>();
            e.getValue().forEach(values::add);
            grid.put(e.getKey(), values);
        }
        if (base.has("out") || grid.containsKey("out")) {
            throw new UsageException(file + ": 'out' is set by the sweep (OUT/points/NAME), not in base or grid");
        }
        CommandSpec spec = commands.get(command);
        List<Point> points = new ArrayList<>();
        expand(grid, new ArrayList<>(grid.keySet()), 0, new LinkedHashMap<>(), base, out, points);
        Set<String> names = new java.util.HashSet<>();
        for (Point p : points) {
            ExperimentConfig.arguments(spec, p.config(), file, List.of()); // unknown keys and wrong kinds fail here, before any run
            if (!names.add(p.name())) {
                throw new UsageException(file + ": two points share the name " + p.name() + " (grid values that differ only in punctuation)");
            }
        }
        return new SweepPlan(command, out, base, grid, points);
    }

    private static void expand(Map<String, List<JsonNode>> grid, List<String> keys, int k, LinkedHashMap<String, JsonNode> chosen,
                               ObjectNode base, Path out, List<Point> points) {
        if (k == keys.size()) {
            StringBuilder name = new StringBuilder();
            ObjectNode config = base.deepCopy();
            for (Map.Entry<String, JsonNode> e : chosen.entrySet()) {
                name.append(name.length() == 0 ? "" : "-").append(e.getKey().replaceAll("[^A-Za-z0-9]", ""))
                        .append(e.getValue().asText().replaceAll("[^A-Za-z0-9.]+", "_"));
                config.set(e.getKey(), e.getValue());
            }
            config.put("out", out.resolve("points").resolve(name.toString()).toString());
            points.add(new Point(name.toString(), new LinkedHashMap<>(chosen), config));
            return;
        }
        for (JsonNode v : grid.get(keys.get(k))) {
            chosen.put(keys.get(k), v);
            expand(grid, keys, k + 1, chosen, base, out, points);
            chosen.remove(keys.get(k));
        }
    }

    /** Writes OUT/sweep.json (the plan) and one config per point. */
    void writeFiles() throws IOException {
        ObjectMapper json = new ObjectMapper().enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
        Files.createDirectories(out.resolve("configs"));
        ObjectNode plan = json.createObjectNode();
        plan.put("command", command);
        plan.put("out", out.toString());
        plan.set("base", base);
        ObjectNode g = plan.putObject("grid");
        grid.forEach((k, vs) -> vs.forEach(g.withArray(k)::add));
        plan.putArray("points").addAll(points.stream().map(p -> (JsonNode) json.getNodeFactory().textNode(p.name())).toList());
        json.writeValue(out.resolve("sweep.json").toFile(), plan);
        for (Point p : points) {
            json.writeValue(configFile(p).toFile(), p.config());
        }
    }

    /** Reads the plan a sweep wrote into its folder (for {@code ttq report}). */
    static ObjectNode readWritten(Path dir) throws IOException {
        Path f = dir.resolve("sweep.json");
        if (!Files.isRegularFile(f)) {
            throw new DataFormatException(dir + ": no sweep.json (not a folder written by ttq sweep)");
        }
        return ExperimentConfig.read(f);
    }
}
