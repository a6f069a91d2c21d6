package ttq.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.data.xy.XYSeries;
import ttq.tools.bench.BenchTable;

/**
 * {@code ttq reproduce glue-table4 --budget full}: Table 4 at the budgets that met issue 6's bars
 * (teacher SST-2 >= 88 and MRPC >= 80; INT8 students within 3 points of their teacher, INT4 within
 * 5). Each row is an ordinary run folder under OUT/glue-table4-runs: a finished folder (results.json)
 * is reused after checking that its config.json names the row's budget, an unfinished one (a
 * checkpoint) is resumed, a missing one is run. The table names each row's folder, its options and
 * whether it holds dev_predictions.tsv, so every accuracy can be re-scored from files.
 */
final class GlueTable4Full {
    /**
     * A row: its task, label, folder name, the command's budget options, the bar (minimum accuracy
     * for a teacher, points under the teacher for a student, 0 for a baseline without one) and the
     * config.json values a reused folder must hold.
     */
    record Row(String task, String label, String folder, boolean teacher, List<String> options, double bar, Map<String, Object> expected) {
    }

    /** The rows, in table order; the budgets are the runs that met the bars (docs/distillation.md). */
    static final List<Row> ROWS = List.of(
            teacher("sst2", 88, List.of("--epochs", "2", "--train-limit", "20000", "--lr", "1e-4"), 2, 20000),
            student("sst2", "layerwise", 8, 3, 1, 2, 20000),
            // INT4 met its bar at 12,000 examples on 2026-11-27 by 0.30 points; it gets the INT8 student's budget, as on MRPC
            student("sst2", "layerwise", 4, 5, 1, 2, 20000),
            teacher("mrpc", 80, List.of("--epochs", "3", "--lr", "1e-4"), 3, 0),
            student("mrpc", "layerwise", 8, 3, 3, 1, 0),
            // 2 epochs per loss met the INT4 bar on 2026-11-27 (77.94, 4.66 under) but not on 2026-12-07's code (75.49, 7.11 under):
            // the INT4 student gets the INT8 student's budget
            student("mrpc", "layerwise", 4, 5, 3, 1, 0),
            // the all-at-once baseline in the INT8 student's budget (22 epochs)
            student("mrpc", "all", 8, 0, 3, 1, 0));

    private static final int RANK = 30;

    record Settings(String teacher, Path data, List<String> tasks, List<String> rows, long seed, Path out) {
    }

    private GlueTable4Full() {
    }

    private static Row teacher(String task, double minimum, List<String> options, int epochs, int trainLimit) {
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("epochs", epochs);
        expected.put("train_limit", trainLimit > 0 ? trainLimit : null);
        return new Row(task, "teacher", task + "-teacher", true, options, minimum, expected);
    }

    private static Row student(String task, String method, int bits, double within, int phaseEpochs, int finalEpochs, int trainLimit) {
        List<String> options = new ArrayList<>(List.of("--method", method, "--rank", String.valueOf(RANK), "--bits", String.valueOf(bits),
                "--phase-epochs", String.valueOf(phaseEpochs), "--final-epochs", String.valueOf(finalEpochs)));
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("method", method);
        expected.put("rank", RANK);
        expected.put("bits", bits);
        expected.put("phase-epochs", phaseEpochs);
        expected.put("final-epochs", finalEpochs);
        expected.put("train-limit", trainLimit > 0 ? trainLimit : null);
        if (trainLimit > 0) {
            options.addAll(List.of("--train-limit", String.valueOf(trainLimit)));
        }
        String label = method + " r" + RANK + " INT" + bits;
        return new Row(task, label, task + "-" + label.replace(' ', '-'), false, options, within, expected);
    }

    /** The --rows keys: the folder names. */
    static List<String> keys() {
        return ROWS.stream().map(Row::folder).toList();
    }

    static int run(Settings s) throws Exception {
        if (s.rows() != null) {
            for (String r : s.rows()) {
                if (!keys().contains(r)) {
                    throw new UsageException("--rows: unknown row '" + r + "' of glue-table4 --budget full (rows: " + String.join(", ", keys()) + ")");
                }
            }
        }
        Path runs = s.out().resolve("glue-table4-runs");
        BenchTable t = new BenchTable("GLUE dev, paper Table 4 vs ttq at the budgets that met the bars (teacher " + s.teacher() + ", seed "
                + s.seed() + ")", List.of("task", "row", "paper acc", "ttq acc", "ttq F1", "teacher acc", "under teacher", "bar", "ttq MB",
                "compression", "GFLOPs / 128 tokens", "train examples", "epochs", "train s", "options", "run folder", "dev predictions"));
        t.context("command", "`ttq reproduce glue-table4 --budget full`: finished run folders are reused (their config checked), others "
                + "resumed or run");
        t.context("teacher", s.teacher() + ", fine-tuned by `ttq finetune`; each student row gives the accuracy of the teacher it was "
                + "distilled from (from its results.json)");
        t.context("students", "`ttq distill` r" + RANK + " (TT and TTM), TT-SVD init, batch 32; layerwise: lr 1e-3 per layer loss, 5e-5 "
                + "for L_all");
        t.context("bars", "teacher SST-2 >= 88, MRPC >= 80; INT8 students within 3 points of their teacher, INT4 within 5 (issue 6)");
        t.context("paper", "Table 4 rows with a BERT-base teacher (12 layers, hidden 768, 10-20 epochs per loss on all data)");
        ObjectMapper json = new ObjectMapper();
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (Row row : ROWS) {
            if (!s.tasks().contains(row.task())) {
                continue;
            }
            Path run = runs.resolve(row.folder());
            Path teacherRun = runs.resolve(row.task() + "-teacher");
            boolean selected = s.rows() == null || s.rows().contains(row.folder());
            boolean finished = Files.exists(run.resolve("results.json"));
            if (finished) {
                checkBudget(run, row, s, json);
            } else if (!selected) {
                t.row(row.task(), row.label(), GlueTable4.paper(row.label(), row.task()), "not run", "", "", "", bar(row), "", "", "", "", "", "", String.join(" ", row.options()),
                        run.toString(), "");
                continue;
            } else {
                List<String> a = new ArrayList<>();
                if (row.teacher()) {
                    a.addAll(List.of("finetune", "--task", row.task(), "--teacher", s.teacher()));
                } else {
                    if (!Files.exists(teacherRun.resolve("best.safetensors"))) {
                        throw new UsageException(row.folder() + " needs its teacher's model " + teacherRun.resolve("best.safetensors") + ", which "
                                + "is missing (run folders in git keep no model files): move " + teacherRun + " away to fine-tune the teacher "
                                + "again, or select rows with --rows");
                    }
                    a.addAll(List.of("distill", "--task", row.task(), "--teacher", teacherRun.toString()));
                }
                a.addAll(row.options());
                a.addAll(List.of("--data", s.data().toString(), "--seed", String.valueOf(s.seed()), "--out", run.toString()));
                int code = ReproduceCommand.runRow(row.task() + " " + row.label() + ": ttq " + String.join(" ", a), a, run, true);
                if (code != 0) {
                    return code;
                }
                if (!Files.exists(run.resolve("results.json"))) {
                    System.out.println(row.folder() + " stopped before its end; run the same command again to resume it");
                    return 0;
                }
            }
            JsonNode r = json.readTree(run.resolve("results.json").toFile());
            double acc = r.get("dev_acc").asDouble(), mb = r.get("size_mb").asDouble();
            double teacherAcc = row.teacher() ? acc : r.get("teacher_dev_acc").asDouble();
            String under = row.teacher() ? "" : f(teacherAcc - acc);
            String barCell = bar(row) + (row.bar() == 0 ? "" : row.teacher() ? (acc >= row.bar() ? ": met" : ": missed")
                    : (teacherAcc - acc <= row.bar() ? ": met" : ": missed"));
            t.row(row.task(), row.label(), GlueTable4.paper(row.label(), row.task()), f(acc), f(r.get("dev_f1").asDouble()), f(teacherAcc), under, barCell,
                    String.format(Locale.ROOT, row.teacher() ? "%.1f" : "%.2f", mb),
                    row.teacher() ? "1.0x" : String.format(Locale.ROOT, "%.1fx", r.get("compression").asDouble()),
                    GlueTable4.gflops(r),
                    String.valueOf(r.get("train_examples").asInt()), String.valueOf(r.get("epochs").asInt()),
                    String.format(Locale.ROOT, "%.0f", r.get("train_seconds").asDouble()), String.join(" ", row.options()), run.toString(),
                    Files.exists(run.resolve("dev_predictions.tsv")) ? "dev_predictions.tsv" : "none (reused run made before the file existed)");
            series.computeIfAbsent(row.task(), k -> new XYSeries(k + " (ttq)", false)).add(mb, acc);
        }
        Files.createDirectories(s.out());
        t.write(s.out(), "glue-table4");
        SizeAccuracyPlot.write(s.out().resolve("glue-table4.png"), "GLUE dev at the full budget: size vs accuracy (teachers at the right)",
                "dev accuracy (%)", new ArrayList<>(series.values()), null, null);
        System.out.print(t.format());
        System.out.println("wrote " + s.out().resolve("glue-table4.{md,csv,json,png}"));
        return 0;
    }

    /** A reused folder must hold the row's run: the teacher's encoder, the seed and the budget. */
    private static void checkBudget(Path run, Row row, Settings s, ObjectMapper json) throws IOException {
        JsonNode results = json.readTree(run.resolve("results.json").toFile());
        JsonNode values;
        if (row.teacher()) {
            values = results;
            require(run, "teacher", s.teacher(), results.path("teacher").asText(null));
        } else {
            Path config = run.resolve("config.json");
            if (!Files.exists(config)) {
                throw new UsageException(run + " holds a finished run without config.json, so its budget cannot be checked: move it away "
                        + "to run the row again");
            }
            values = json.readTree(config.toFile());
            require(run, "task", row.task(), values.path("task").asText(null));
        }
        require(run, "seed", s.seed(), values.path("seed").asLong(-1));
        for (Map.Entry<String, Object> e : row.expected().entrySet()) {
            if (row.teacher() && e.getKey().equals("train_limit") && !results.has("train_limit")) {
                // a teacher from before results.json held the limit: its example count must be the limit
                if (e.getValue() != null) {
                    require(run, "train_examples", e.getValue(), results.path("train_examples").asInt(-1));
                }
                continue;
            }
            JsonNode v = values.get(e.getKey());
            Object found = v == null || v.isNull() ? null : v.isNumber() ? (Object) v.asInt() : v.asText();
            require(run, e.getKey(), e.getValue(), found);
        }
    }

    private static void require(Path run, String key, Object expected, Object found) {
        if (expected == null ? found != null : !expected.equals(found)) {
            throw new UsageException(run + " holds a run with " + key + " " + (found == null ? "unset" : found) + ", but the full budget's row "
                    + "needs " + (expected == null ? "unset" : expected) + ": move the folder away to run the row again");
        }
    }

    private static String bar(Row row) {
        if (row.bar() == 0) {
            return "baseline";
        }
        return row.teacher() ? ">= " + (int) row.bar() : "within " + (int) row.bar();
    }

    private static String f(double v) {
        return GlueTable4.f(v);
    }
}
