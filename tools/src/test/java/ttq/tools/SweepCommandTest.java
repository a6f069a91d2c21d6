package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepCommandTest {
    @TempDir
    static Path corpus;

    @BeforeAll
    static void slice() throws IOException {
        TrainCommandTest.sliceAtisInto(corpus);
    }

    static Path sweepFile(Path dir, String grid) throws IOException {
        Path f = dir.resolve("sweep.json");
        Files.writeString(f, "{\"command\": \"train\", \"out\": \"" + dir.resolve("sweep") + "\", \"base\": {\"data\": \"" + corpus
                + "\", \"epochs\": 1, \"batch\": 8, \"max-len\": 32, \"embedding-rank\": 4}, \"grid\": " + grid + "}");
        return f;
    }

    @Test
    void runsEveryPointResumesAfterAKillAndReports(@TempDir Path dir) throws Exception {
        Path f = sweepFile(dir, "{\"rank\": [2, 3], \"bits\": [8, 32]}");
        MainTest.Result r = MainTest.run("sweep", "--config", f.toString(), "--jobs", "2");
        assertEquals(0, r.code(), r.out() + r.err());
        Path sweep = dir.resolve("sweep");
        List<String> names = List.of("rank2-bits8", "rank2-bits32", "rank3-bits8", "rank3-bits32");
        for (String n : names) {
            Path run = sweep.resolve("points").resolve(n);
            assertTrue(Files.exists(run.resolve("results.json")), n + ": " + r.out());
            JsonNode cfg = new ObjectMapper().readTree(run.resolve("config.json").toFile());
            assertEquals(n.contains("rank2") ? 2 : 3, cfg.get("rank").asInt());
        }
        // a second call skips finished points; a point killed after its checkpoint is resumed
        Files.delete(sweep.resolve("points/rank3-bits8/results.json"));
        r = MainTest.run("sweep", "--config", f.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals(3, r.out().lines().filter(l -> l.contains("already finished")).count(), r.out());
        assertTrue(r.out().contains("start rank3-bits8 (resuming)"), r.out());
        assertTrue(Files.exists(sweep.resolve("points/rank3-bits8/results.json")));

        r = MainTest.run("report", sweep.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> csv = Files.readAllLines(sweep.resolve("report.csv"));
        assertEquals(1 + 4, csv.size(), "header and one row per configuration: " + csv);
        assertTrue(csv.get(0).contains("rank") && csv.get(0).contains("bits") && csv.get(0).contains("Pareto"), csv.get(0));
        assertTrue(csv.stream().skip(1).anyMatch(l -> l.endsWith(",yes")), "some configuration is on the front");
        assertTrue(Files.size(sweep.resolve("report-pareto-atis.png")) > 1000);
        assertTrue(Files.size(sweep.resolve("report-time-vs-rank.png")) > 1000);
        assertTrue(Files.readString(sweep.resolve("report.md")).contains("| atis |"));
    }

    @Test
    void paretoFrontKeepsOnlyUndominatedConfigurations() {
        record P(double size, double acc) {
        }
        List<P> ps = List.of(new P(1, 90), new P(2, 95), new P(2, 93), new P(3, 94), new P(0.5, 80), new P(4, 96));
        assertEquals(List.of(new P(0.5, 80), new P(1, 90), new P(2, 95), new P(4, 96)), ParetoFront.of(ps, P::size, P::acc));
    }

    @Test
    void badSweepsAreRefusedBeforeAnyRun(@TempDir Path dir) throws IOException {
        MainTest.Result r = MainTest.run("sweep", "--config", sweepFile(dir, "{\"rnak\": [2]}").toString());
        assertEquals(Main.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("unknown key 'rnak'"), r.err());
        r = MainTest.run("sweep", "--config", sweepFile(dir, "{\"rank\": 2}").toString());
        assertEquals(Main.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("needs a non-empty list"), r.err());
        assertTrue(!Files.exists(dir.resolve("sweep/points")), "nothing ran");
    }

    @Test
    void emitsASlurmArrayThatPicksItsPoint(@TempDir Path dir) throws Exception {
        Path f = sweepFile(dir, "{\"rank\": [2, 3], \"seed\": [1, 2, 3]}");
        MainTest.Result r = MainTest.run("sweep", "--config", f.toString(), "--emit", "slurm", "--jar", "/opt/ttq/ttq.jar");
        assertEquals(0, r.code(), r.err());
        Path script = dir.resolve("sweep/sweep.slurm");
        String text = Files.readString(script);
        assertTrue(text.contains("#SBATCH --array=0-5"), text);
        assertEquals(0, new ProcessBuilder("bash", "-n", script.toString()).start().waitFor(), "bash -n: syntax");
        // run task 4 with a fake java that prints its arguments; point 4 is rank3-seed2, not started: no --resume
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path fakeJava = bin.resolve("java");
        Files.writeString(fakeJava, "#!/usr/bin/env bash\necho \"$@\"\n");
        fakeJava.toFile().setExecutable(true);
        assertEquals("-Xmx6g -cp /opt/ttq/ttq.jar ttq.tools.Main train --config " + dir.resolve("sweep/configs/rank3-seed2.json"),
                runTask(script, bin, 4));
        Files.createDirectories(dir.resolve("sweep/points/rank3-seed2"));
        Files.writeString(dir.resolve("sweep/points/rank3-seed2/checkpoint.safetensors"), "x");
        assertTrue(runTask(script, bin, 4).endsWith("--resume"));
        Files.writeString(dir.resolve("sweep/points/rank3-seed2/results.json"), "{}");
        assertEquals("rank3-seed2 already finished", runTask(script, bin, 4));
        JsonNode point = new ObjectMapper().readTree(dir.resolve("sweep/configs/rank3-seed2.json").toFile());
        assertEquals(2, point.get("seed").asInt());
        assertEquals(dir.resolve("sweep/points/rank3-seed2").toString(), point.get("out").asText());
    }

    private static String runTask(Path script, Path bin, int index) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
        pb.environment().put("SLURM_ARRAY_TASK_ID", String.valueOf(index));
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void emitsAKubernetesIndexedJob(@TempDir Path dir) throws Exception {
        Path f = sweepFile(dir, "{\"rank\": [2, 3, 5]}");
        MainTest.Result r = MainTest.run("sweep", "--config", f.toString(), "--emit", "k8s");
        assertEquals(0, r.code(), r.err());
        JsonNode job = new ObjectMapper(new YAMLFactory()).readTree(dir.resolve("sweep/sweep-job.yaml").toFile());
        assertEquals("Job", job.get("kind").asText());
        assertEquals("Indexed", job.at("/spec/completionMode").asText());
        assertEquals(3, job.at("/spec/completions").asInt());
        JsonNode command = job.at("/spec/template/spec/containers/0/command");
        assertEquals("bash", command.get(0).asText());
        String body = command.get(2).asText();
        assertTrue(body.contains("JOB_COMPLETION_INDEX") && body.contains("rank5"), body);
        Path s = dir.resolve("point.sh");
        Files.writeString(s, body);
        assertEquals(0, new ProcessBuilder("bash", "-n", s.toString()).start().waitFor(), "the pod's script parses");
    }
}
