package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Distillation from a small fine-tuned teacher (a random 2-block encoder, see FinetuneCommandTest): every method runs, resumes exactly. */
class DistillCommandTest {
    @TempDir
    static Path dir;
    static Path teacherRun, glue;

    @BeforeAll
    static void teacher() throws Exception {
        Path t = FinetuneCommandTest.teacher(dir);
        glue = FinetuneCommandTest.glue(dir);
        teacherRun = dir.resolve("teacher-run");
        MainTest.Result r = MainTest.run("finetune", "--task", "sst2", "--teacher", t.toString(), "--data", glue.toString(), "--epochs", "1",
                "--batch", "8", "--lr", "1e-3", "--out", teacherRun.toString());
        assertEquals(0, r.code(), r.err());
    }

    private static MainTest.Result distill(Path out, String... more) {
        String[] base = {"distill", "--task", "sst2", "--teacher", teacherRun.toString(), "--data", glue.toString(), "--rank", "4",
            "--embedding-rank", "4", "--batch", "8", "--out", out.toString()};
        String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return MainTest.run(args);
    }

    @Test
    void layerwiseRunsEveryPhaseAndResumesExactly() throws Exception {
        Path full = dir.resolve("lw"), cut = dir.resolve("lw-cut");
        MainTest.Result r = distill(full, "--method", "layerwise", "--bits", "8");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("L_0 x1") && r.out().contains("L_2 x1") && r.out().contains("L_all x1"), r.out());
        List<String> csv = Files.readAllLines(full.resolve("metrics.csv"));
        assertEquals(5, csv.size()); // header + L_0, L_1, L_2, L_all
        JsonNode res = new ObjectMapper().readTree(full.resolve("results.json").toFile());
        assertEquals(8, res.get("bits").asInt());
        assertTrue(res.get("compression").asDouble() > 1, res.toString());
        assertTrue(Double.isFinite(res.get("dev_acc").asDouble()));
        assertEquals(res.get("dev_acc").asDouble(), FinetuneCommandTest.rescored(full.resolve("dev_predictions.tsv"), 20), 1e-9);

        r = distill(cut, "--method", "layerwise", "--bits", "8", "--stop-after-epochs", "2");
        assertEquals(0, r.code(), r.err());
        r = distill(cut, "--method", "layerwise", "--bits", "8", "--resume");
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Files.readAllBytes(full.resolve("student.safetensors")), Files.readAllBytes(cut.resolve("student.safetensors")));
        assertEquals(Files.readString(full.resolve("metrics.csv")), Files.readString(cut.resolve("metrics.csv")));
    }

    @Test
    void allAtOnceAndXtcRunInTheSameBudget() throws Exception {
        MainTest.Result r = distill(dir.resolve("all"), "--method", "all", "--bits", "4");
        assertEquals(0, r.code(), r.err());
        assertEquals(5, Files.readAllLines(dir.resolve("all").resolve("metrics.csv")).size());
        r = distill(dir.resolve("xtc"), "--method", "xtc");
        assertEquals(0, r.code(), r.err());
        JsonNode res = new ObjectMapper().readTree(dir.resolve("xtc").resolve("results.json").toFile());
        assertEquals(2, res.get("bits").asInt());
        assertTrue(r.out().contains("student 1 blocks"), r.out());
    }

    @Test
    void aTeacherOfAnotherTaskIsRefused() {
        MainTest.Result r = MainTest.run("distill", "--task", "mrpc", "--teacher", teacherRun.toString(), "--out", dir.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("sst2"), r.err());
    }
}
