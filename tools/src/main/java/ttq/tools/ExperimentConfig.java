package ttq.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import ttq.model.data.DataFormatException;

/**
 * Experiments as files: a JSON (or YAML) object whose keys are a command's long option names without the
 * dashes ({@code {"model": "tt", "bits": 4, "rank": 20, "epochs": 3, "out": "runs/r20-int4"}}).
 * {@link #expand} turns it into command-line arguments (an option also given on the command line
 * wins); {@link #writeResolved} writes every option's final value into the run folder as
 * {@code config.json}, which {@code --config} reads back to repeat the run.
 */
final class ExperimentConfig {
    /** The {@code --config} option of train and distill (a picocli mixin); {@link #expand} reads the file before parsing. */
    static final class Option {
        @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
        CommandSpec command;

        @picocli.CommandLine.Option(names = "--config", paramLabel = "EXP.json", description = "Read options from a JSON (or YAML) object of "
                + "option names (without --) and values; options given on the command line win. The run folder gets the resolved config.json.")
        Path file;

        /** Writes the command's resolved settings to {@code dir/config.json}. */
        void writeResolved(Path dir) throws IOException {
            ExperimentConfig.writeResolved(command, dir);
        }
    }

    /** Options that steer one invocation, not the experiment: never read from or written to a config. */
    private static final Set<String> NOT_SETTINGS = Set.of("config", "help", "version", "verbose", "resume");

    private ExperimentConfig() {
    }

    /**
     * {@code args} with the options of the {@code --config FILE} of the subcommand spliced in after
     * the subcommand's name; unchanged when there is no {@code --config}.
     *
     * @throws UsageException for an unknown key or a value of the wrong kind, naming both and the file
     * @throws DataFormatException when the file is not a JSON object
     */
    static String[] expand(CommandLine cli, String[] args) throws IOException {
        int commandAt = -1;
        for (int i = 0; i < args.length; i++) {
            if (cli.getSubcommands().containsKey(args[i])) {
                commandAt = i;
                break;
            }
        }
        if (commandAt < 0) {
            return args;
        }
        CommandSpec spec = cli.getSubcommands().get(args[commandAt]).getCommandSpec();
        if (!SweepPlan.COMMANDS.contains(args[commandAt])) { // sweep's --config is a sweep file, read by the command
            return args;
        }
        Path file = null;
        for (int i = commandAt + 1; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                file = Path.of(args[i + 1]);
            } else if (args[i].startsWith("--config=")) {
                file = Path.of(args[i].substring("--config=".length()));
            }
        }
        if (file == null) {
            return args;
        }
        List<String> given = Arrays.asList(args).subList(commandAt + 1, args.length);
        List<String> fromFile = arguments(spec, read(file), file, given);
        List<String> out = new ArrayList<>(Arrays.asList(args).subList(0, commandAt + 1));
        out.addAll(fromFile);
        out.addAll(given);
        return out.toArray(new String[0]);
    }

    /** Reads a config file: a JSON object. */
    static ObjectNode read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DataFormatException(file + ": config file not found");
        }
        JsonNode root;
        try {
            root = mapperFor(file).readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new DataFormatException(file + ": not valid " + (isYaml(file) ? "YAML" : "JSON") + " (line " + e.getLocation().getLineNr() + "): " + e.getOriginalMessage());
        }
        if (!(root instanceof ObjectNode o)) {
            throw new DataFormatException(file + ": a config must be a JSON object of option names and values");
        }
        return o;
    }

    static boolean isYaml(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    /** JSON, or YAML for a .yaml / .yml file (the same keys and values). */
    static ObjectMapper mapperFor(Path file) {
        return isYaml(file) ? new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()) : new ObjectMapper();
    }

    /** The arguments a config object stands for; keys the command line also sets are left to it. */
    static List<String> arguments(CommandSpec spec, ObjectNode config, Path file, List<String> given) {
        List<String> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = config.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey(), name = "--" + key;
            OptionSpec option = spec.findOption(name);
            if (option == null || NOT_SETTINGS.contains(key) || option.hidden()) {
                throw new UsageException(file + ": unknown key '" + key + "' for ttq " + spec.name() + " (keys are its options without --: "
                        + String.join(", ", settingNames(spec)) + ")");
            }
            if (given.stream().anyMatch(a -> a.equals(name) || a.startsWith(name + "="))) {
                continue; // the command line wins
            }
            JsonNode v = e.getValue();
            if (option.arity().max() == 0) { // a flag
                if (!v.isBoolean()) {
                    throw new UsageException(file + ": key '" + key + "' is a flag: true or false, got " + v);
                }
                if (v.booleanValue()) {
                    out.add(name);
                }
            } else if (v.isArray()) {
                List<String> items = new ArrayList<>();
                for (JsonNode item : v) {
                    items.add(scalar(item, key, file));
                }
                if (!option.splitRegex().isEmpty()) {
                    out.add(name);
                    out.add(String.join(",", items));
                } else if (option.isMultiValue()) {
                    for (String item : items) {
                        out.add(name);
                        out.add(item);
                    }
                } else {
                    throw new UsageException(file + ": key '" + key + "' takes one value, got a list " + v);
                }
            } else {
                out.add(name);
                out.add(scalar(v, key, file));
            }
        }
        return out;
    }

    private static String scalar(JsonNode v, String key, Path file) {
        if (v.isNull() || v.isContainerNode()) {
            throw new UsageException(file + ": key '" + key + "' needs a string, number or boolean, got " + v);
        }
        return v.asText();
    }

    private static List<String> settingNames(CommandSpec spec) {
        List<String> names = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            String key = o.longestName().replaceFirst("^--", "");
            if (!o.hidden() && !NOT_SETTINGS.contains(key)) {
                names.add(key);
            }
        }
        return names;
    }

    /** Every setting's final value, as a config object. */
    static ObjectNode resolved(CommandSpec spec) {
        ObjectNode out = new ObjectMapper().createObjectNode();
        for (OptionSpec o : spec.options()) {
            String key = o.longestName().replaceFirst("^--", "");
            if (o.hidden() || NOT_SETTINGS.contains(key)) {
                continue;
            }
            Object v = o.getValue();
            if (v == null) {
                continue;
            }
            if (v instanceof Boolean b) {
                out.put(key, b);
            } else if (v instanceof Integer i) {
                out.put(key, i);
            } else if (v instanceof Long l) {
                out.put(key, l);
            } else if (v instanceof Float f) {
                out.put(key, f);
            } else if (v instanceof Double d) {
                out.put(key, d);
            } else if (v instanceof int[] a) {
                ArrayNode arr = out.putArray(key);
                Arrays.stream(a).forEach(arr::add);
            } else if (v instanceof List<?> list) {
                ArrayNode arr = out.putArray(key);
                list.forEach(x -> arr.add(String.valueOf(x)));
            } else {
                out.put(key, String.valueOf(v));
            }
        }
        return out;
    }

    /** Writes {@link #resolved} to {@code dir/config.json}. */
    static void writeResolved(CommandSpec spec, Path dir) throws IOException {
        Files.createDirectories(dir);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("config.json").toFile(), resolved(spec));
    }
}
