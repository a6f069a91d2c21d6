package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** reproduce glue-table4 end to end on a small random teacher: every row is a run folder, the table has all rows, the plot exists. */
class GlueTable4Test {
    @Test
    void writesTheTableThePlotAndOneRunFolderPerRow(@TempDir Path dir) throws Exception {
        Path t = FinetuneCommandTest.teacher(dir), g = FinetuneCommandTest.glue(dir), out = dir.resolve("results");
        MainTest.Result r = MainTest.run("reproduce", "glue-table4", "--teacher", t.toString(), "--glue-data", g.toString(), "--tasks", "sst2",
                "--ranks", "3,4", "--train-limit", "16", "--finetune-epochs", "1", "--phase-epochs", "1", "--final-epochs", "1", "--out",
                out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> csv = Files.readAllLines(out.resolve("glue-table4.csv"));
        assertEquals(1 + 1 + 6 + 2, csv.size(), String.join("\n", csv)); // header, teacher, 2 ranks x 3 precisions, all, xtc
        assertTrue(csv.stream().anyMatch(l -> l.contains("layerwise r4 INT4")), String.join("\n", csv));
        assertTrue(Files.size(out.resolve("glue-table4.png")) > 1000);
        assertTrue(Files.exists(out.resolve("glue-table4.md")));
        // resuming keeps finished rows: nothing is trained again
        r = MainTest.run("reproduce", "glue-table4", "--teacher", t.toString(), "--glue-data", g.toString(), "--tasks", "sst2", "--ranks", "3,4",
                "--train-limit", "16", "--finetune-epochs", "1", "--out", out.toString(), "--resume");
        assertEquals(0, r.code(), r.err());
        assertTrue(!r.out().contains("== sst2"), r.out());
    }
}
