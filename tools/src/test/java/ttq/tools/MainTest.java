package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.tools.bench.BenchTable;

class MainTest {
    record Result(int code, String out, String err) {
    }

    /** Deletes a folder and everything in it (a test's run folder or a property's scratch folder). */
    static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpListsSubcommands() {
        Result r = run("--help");
        assertEquals(0, r.code());
        for (String c : List.of("info", "bench", "demo")) {
            assertTrue(r.out().contains(c), r.out());
        }
    }

    @Test
    void infoReportsNativeStatusAndBlas() {
        Result r = run("info");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("native       loaded"), r.out());
        assertTrue(r.out().contains("blas threads"), r.out());
        assertTrue(r.out().contains("cpu features"), r.out());
    }

    @Test
    void badUsageIsOneLineAndExitCode2() {
        Result r = run("demo", "--epochs", "many");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = run("demo", "--epochs", "0");
        assertEquals(Main.EXIT_USAGE, r.code());
        r = run("no-such-command");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void badDataIsOneLineNamingFileAndLineExitCode1(@TempDir Path dir) throws IOException {
        writeSplit(dir.resolve("train"), "show flights\nto boston\n", "O O\nO\n", "atis_flight\natis_flight\n");
        writeSplit(dir.resolve("valid"), "x\n", "O\n", "atis_flight\n");
        writeSplit(dir.resolve("test"), "x\n", "O\n", "atis_flight\n");
        Result r = run("demo", "--data", dir.toString(), "--out", dir.resolve("run").toString());
        assertEquals(Main.EXIT_DATA, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("seq.out:2"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose");
        r = run("--verbose", "demo", "--data", dir.toString(), "--out", dir.resolve("run").toString());
        assertEquals(Main.EXIT_DATA, r.code());
        assertTrue(r.err().contains("\tat "), "stack trace with --verbose");
    }

    @Test
    void demoTrainsOnAnyCorpusInTheLayout(@TempDir Path dir) throws IOException {
        StringBuilder in = new StringBuilder(), tags = new StringBuilder(), labels = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            boolean fare = i % 2 == 0;
            in.append(fare ? "how much is a ticket to denver" : "list flights to denver").append('\n');
            tags.append(fare ? "O O O O O O B-city" : "O O O B-city").append('\n');
            labels.append(fare ? "fare" : "flight").append('\n');
        }
        for (String split : List.of("train", "valid", "test")) {
            writeSplit(dir.resolve(split), in.toString(), tags.toString(), labels.toString());
        }
        Path out = dir.resolve("run");
        Result r = run("demo", "--data", dir.toString(), "--out", out.toString(), "--epochs", "3", "--hidden", "16", "--lr", "0.01");
        assertEquals(0, r.code(), r.err());
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals(1.0, results.get("test_intent_acc").asDouble(), 1e-9, "two trivially separable intents");
        assertEquals(4, Files.readAllLines(out.resolve("metrics.csv")).size());
        assertTrue(Files.size(out.resolve("model.safetensors")) > 0);
    }

    @Test
    void benchTableWritesCsvJsonMarkdown(@TempDir Path dir) throws IOException {
        BenchTable t = new BenchTable("t", List.of("a", "b"));
        t.context("k", "v");
        t.row("x, y", "1.0");
        t.write(dir, "bench");
        assertEquals("a,b\n\"x, y\",1.0\n", Files.readString(dir.resolve("bench.csv")));
        assertTrue(Files.readString(dir.resolve("bench.md")).contains("| x, y | 1.0 |"));
        assertEquals("1.0", new ObjectMapper().readTree(dir.resolve("bench.json").toFile()).get("rows").get(0).get("b").asText());
        assertTrue(t.format().contains("x, y"));
    }

    private static void writeSplit(Path dir, String in, String out, String label) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("seq.in"), in);
        Files.writeString(dir.resolve("seq.out"), out);
        Files.writeString(dir.resolve("label"), label);
    }
}
