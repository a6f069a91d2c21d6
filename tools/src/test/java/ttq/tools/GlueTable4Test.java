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
        List<String> csv = Files.readAllLines(out.resolve("glue-table4-16.csv")); // a small budget is named by its examples
        assertEquals(1 + 1 + 6 + 2, csv.size(), String.join("\n", csv)); // header, teacher, 2 ranks x 3 precisions, all, xtc
        assertTrue(csv.stream().anyMatch(l -> l.contains("layerwise r4 INT4")), String.join("\n", csv));
        assertTrue(Files.size(out.resolve("glue-table4-16.png")) > 1000);
        assertTrue(Files.exists(out.resolve("glue-table4-16.md")));
        // resuming keeps finished rows: nothing is trained again
        r = MainTest.run("reproduce", "glue-table4", "--teacher", t.toString(), "--glue-data", g.toString(), "--tasks", "sst2", "--ranks", "3,4",
                "--train-limit", "16", "--finetune-epochs", "1", "--out", out.toString(), "--resume");
        assertEquals(0, r.code(), r.err());
        assertTrue(!r.out().contains("== sst2"), r.out());
    }

    /**
     * --budget full: the rows run at the budgets that met the bars (on a tiny teacher and corpus here), then are reused; a reused folder
     * of another budget, a student whose teacher's model is gone and an unknown row are refused in one line.
     */
    @Test
    void fullBudgetRunsReusesAndChecksItsRunFolders(@TempDir Path dir) throws Exception {
        Path t = FinetuneCommandTest.teacher(dir), g = FinetuneCommandTest.glue(dir), out = dir.resolve("results");
        String[] full = {"reproduce", "glue-table4", "--budget", "full", "--teacher", t.toString(), "--glue-data", g.toString(), "--tasks", "sst2",
            "--out", out.toString()};
        MainTest.Result r = MainTest.run(full);
        assertEquals(0, r.code(), r.err());
        List<String> csv = Files.readAllLines(out.resolve("glue-table4.csv"));
        assertEquals(1 + 3, csv.size(), String.join("\n", csv)); // header, teacher, INT8 and INT4 students
        Path runs = out.resolve("glue-table4-runs");
        for (String row : List.of("sst2-teacher", "sst2-layerwise-r30-INT8", "sst2-layerwise-r30-INT4")) {
            assertTrue(Files.exists(runs.resolve(row).resolve("dev_predictions.tsv")), row);
            assertTrue(csv.stream().anyMatch(l -> l.contains(runs.resolve(row).toString()) && l.contains("dev_predictions.tsv")), row);
        }
        assertTrue(csv.get(2).contains("--train-limit 20000") && csv.get(3).contains("--bits 4"), String.join("\n", csv));
        assertTrue(Files.size(out.resolve("glue-table4.png")) > 1000);
        // finished folders are reused: nothing runs again, the same table comes out
        r = MainTest.run(full);
        assertEquals(0, r.code(), r.err());
        assertTrue(!r.out().contains("== sst2"), r.out());
        assertEquals(csv, Files.readAllLines(out.resolve("glue-table4.csv")));
        // a folder of another budget is not taken for the row's run
        Path config = runs.resolve("sst2-layerwise-r30-INT4").resolve("config.json");
        String original = Files.readString(config);
        Files.writeString(config, original.replace("\"train-limit\" : 20000", "\"train-limit\" : 999"));
        r = MainTest.run(full);
        assertEquals(Main.EXIT_USAGE, r.code(), r.out());
        assertTrue(r.err().contains("sst2-layerwise-r30-INT4") && r.err().contains("train-limit 999") && r.err().contains("needs 20000"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        // a student to run whose teacher's model file is gone (as in a clone: git keeps no model files)
        MainTest.deleteTree(runs.resolve("sst2-layerwise-r30-INT4"));
        Files.delete(runs.resolve("sst2-teacher").resolve("best.safetensors"));
        r = MainTest.run(full);
        assertEquals(Main.EXIT_USAGE, r.code(), r.out());
        assertTrue(r.err().contains("best.safetensors") && r.err().contains("missing"), r.err());
        // rows not selected and not finished are listed as not run
        r = MainTest.run(concat(full, "--rows", "sst2-teacher"));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readAllLines(out.resolve("glue-table4.csv")).get(3).contains("not run"));
        r = MainTest.run(concat(full, "--rows", "sst2-nothing"));
        assertEquals(Main.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("unknown row 'sst2-nothing'"), r.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
