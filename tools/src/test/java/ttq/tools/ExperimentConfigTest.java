package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentConfigTest {
    @TempDir
    static Path corpus;

    @BeforeAll
    static void slice() throws IOException {
        TrainCommandTest.sliceAtisInto(corpus);
    }

    @Test
    void trainReadsAConfigAndWritesTheResolvedOne(@TempDir Path dir) throws IOException {
        Path exp = dir.resolve("exp.json");
        Files.writeString(exp, "{\"data\": \"" + corpus.toString().replace("\\", "\\\\") + "\", \"rank\": 4, \"embedding-rank\": 6,"
                + " \"bits\": 4, \"epochs\": 1, \"batch\": 8, \"max-len\": 32, \"seed\": 5, \"out\": \"" + dir.resolve("ignored") + "\"}");
        Path out = dir.resolve("run");
        MainTest.Result r = MainTest.run("train", "--config", exp.toString(), "--out", out.toString(), "--seed", "7");
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(dir.resolve("ignored")), "--out on the command line wins over the file");
        JsonNode resolved = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals(4, resolved.get("rank").asInt());
        assertEquals(6, resolved.get("embedding-rank").asInt());
        assertEquals(4, resolved.get("bits").asInt());
        assertEquals(7, resolved.get("seed").asInt(), "the command line's seed");
        assertEquals(0.001, resolved.get("lr").asDouble(), 1e-12, "defaults are written too");
        assertFalse(resolved.has("config") || resolved.has("resume"), "invocation options are not settings");
        assertTrue(r.out().contains("INT4"), r.out());

        // the resolved file repeats the run: same settings, same results
        Path again = dir.resolve("again");
        MainTest.Result r2 = MainTest.run("train", "--config", out.resolve("config.json").toString(), "--out", again.toString());
        assertEquals(0, r2.code(), r2.err());
        JsonNode a = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        JsonNode b = new ObjectMapper().readTree(again.resolve("results.json").toFile());
        for (String k : new String[] {"intent_acc", "slot_f1", "params", "size_mb"}) {
            assertEquals(a.get(k).asDouble(), b.get(k).asDouble(), 0.0, k);
        }
    }

    @Test
    void unknownKeysAndBadFilesAreNamed(@TempDir Path dir) throws IOException {
        Path exp = dir.resolve("exp.json");
        Files.writeString(exp, "{\"epochs\": 1, \"rnak\": 5}");
        MainTest.Result r = MainTest.run("train", "--config", exp.toString());
        assertEquals(Main.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("unknown key 'rnak'") && r.err().contains(exp.toString()), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line");

        Files.writeString(exp, "{\"epochs\": [1, 2]}");
        r = MainTest.run("train", "--config", exp.toString());
        assertEquals(Main.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("'epochs' takes one value"), r.err());

        Files.writeString(exp, "{\"epochs\": 1,");
        r = MainTest.run("train", "--config", exp.toString());
        assertEquals(Main.EXIT_DATA, r.code());
        assertTrue(r.err().contains("not valid JSON"), r.err());

        r = MainTest.run("distill", "--config", dir.resolve("missing.json").toString());
        assertEquals(Main.EXIT_DATA, r.code());
        assertTrue(r.err().contains("config file not found"), r.err());
    }

    @Test
    void yamlConfigsWorkToo(@TempDir Path dir) throws IOException {
        Path exp = dir.resolve("exp.yaml");
        Files.writeString(exp, "data: " + corpus + "\nepochs: 1\nbatch: 8\nmax-len: 32\nmodel: tt\nbits: 8\nrank: 3\n");
        Path out = dir.resolve("run");
        MainTest.Result r = MainTest.run("train", "--config", exp.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(3, new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("rank").asInt());
    }
}
