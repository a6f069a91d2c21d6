package ttq.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a PyTorch peer script that prints one JSON object per line, for the same-run comparisons of the benchmarks. */
final class PeerScript {
    private PeerScript() {
    }

    /**
     * The JSON lines the script printed, or an empty list when python or the script is missing (or
     * "none"), or the script failed (its last stderr line is reported).
     */
    static List<JsonNode> run(String python, Path script, String... args) throws IOException, InterruptedException {
        return run(python, script, java.util.Map.of(), args);
    }

    /** As {@link #run(String, Path, String...)}, with extra environment variables for the peer process. */
    static List<JsonNode> run(String python, Path script, java.util.Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        List<JsonNode> rows = new ArrayList<>();
        if ("none".equals(script.toString()) || !Files.isRegularFile(script) || !Files.isExecutable(Path.of(python))) {
            return rows;
        }
        List<String> command = new ArrayList<>(List.of(python, script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        Process proc = builder.start();
        String stdout = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(proc.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!proc.waitFor(20, TimeUnit.MINUTES) || proc.exitValue() != 0) {
            System.err.println("peer " + script.getFileName() + " failed: "
                    + stderr.lines().reduce((x, y) -> y).orElse("exit " + proc.exitValue()));
            return rows;
        }
        ObjectMapper json = new ObjectMapper();
        for (String line : stdout.split("\n")) {
            if (line.startsWith("{")) {
                rows.add(json.readTree(line));
            }
        }
        return rows;
    }

    /** The number of cores, as the peers' thread-count argument. */
    static String threads() {
        return String.valueOf(Runtime.getRuntime().availableProcessors());
    }
}
