package ttq.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.data.xy.XYSeries;
import ttq.tools.bench.BenchTable;

/**
 * {@code ttq reproduce glue-table4}: the paper's Table 4 scaled to 2 cores. Per task: fine-tune the
 * teacher ({@code ttq finetune}), then distill layer by layer for two ranks x {FP32, INT8, INT4},
 * plus the all-at-once and XTC-style baselines at the first rank (INT8 / ternary) in the same
 * budget, all at one small budget ({@code --budget small}, the default). Every row is an ordinary run
 * folder under OUT/glue-table4-N-runs (N training examples); the table (Markdown, CSV, JSON) and a
 * size-vs-accuracy plot go to OUT/glue-table4-N.*. The budgets that met the bars: {@link GlueTable4Full}.
 */
final class GlueTable4 {
    /** The paper's Table 4 (BERT-base teacher, dev accuracy): SST-2 and MRPC per row. */
    private static final Map<String, double[]> PAPER = Map.of(
            "teacher", new double[] {92.8, 87.7},
            "layerwise r50 FP32", new double[] {90.0, 86.5}, "layerwise r50 INT8", new double[] {89.6, 85.8},
            "layerwise r50 INT4", new double[] {89.2, 85.5}, "layerwise r30 FP32", new double[] {89.3, 85.1},
            "layerwise r30 INT8", new double[] {89.2, 85.0}, "layerwise r30 INT4", new double[] {88.3, 84.8});

    record Settings(String teacher, Path data, List<String> tasks, int[] ranks, int trainLimit, int finetuneLimit, int finetuneEpochs,
                    float finetuneLr, int phaseEpochs, int finalEpochs, long seed, boolean resume, Path out) {
    }

    private GlueTable4() {
    }

    static int run(Settings s) throws Exception {
        // the full budget's table is glue-table4.*; a small one is named by its examples
        String table = "glue-table4-" + (s.trainLimit() > 0 ? String.valueOf(s.trainLimit()) : "all");
        Path runs = s.out().resolve(table + "-runs");
        BenchTable t = new BenchTable("GLUE dev, paper Table 4 vs ttq (teacher " + s.teacher() + ", scaled to 2 cores)",
                List.of("task", "row", "paper acc", "ttq acc", "ttq F1", "ttq MB", "compression", "GFLOPs / 128 tokens", "train examples", "epochs",
                        "train s"));
        t.context("teacher", s.teacher() + ", fine-tuned by `ttq finetune` (epochs, examples and seconds in its rows)");
        t.context("students", "`ttq distill`, " + (s.trainLimit() > 0 ? s.trainLimit() + " training examples" : "all training examples")
                + ", layerwise: " + s.phaseEpochs() + " epoch(s) per layer loss + " + s.finalEpochs() + " of L_all; all-at-once and XTC: "
                + "the same number of epochs");
        t.context("paper", "Table 4 rows with a BERT-base teacher (12 layers, hidden 768); ours use the teacher above");
        List<XYSeries> series = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String task : s.tasks()) {
            Path teacherRun = runs.resolve(task + "-teacher");
            if (!(s.resume() && Files.exists(teacherRun.resolve("results.json")))) {
                List<String> a = new ArrayList<>(List.of("finetune", "--task", task, "--teacher", s.teacher(), "--data", s.data().toString(),
                        "--epochs", String.valueOf(s.finetuneEpochs()), "--lr", String.valueOf(s.finetuneLr()), "--seed", String.valueOf(s.seed()),
                        "--out", teacherRun.toString()));
                if (s.finetuneLimit() > 0) {
                    a.addAll(List.of("--train-limit", String.valueOf(s.finetuneLimit())));
                }
                int code = ReproduceCommand.runRow(task + " teacher", a, teacherRun, s.resume());
                if (code != 0) {
                    return code;
                }
            }
            JsonNode tr = json.readTree(teacherRun.resolve("results.json").toFile());
            double teacherMb = tr.get("size_mb").asDouble();
            t.row(task, "teacher", paper("teacher", task), f(tr.get("dev_acc").asDouble()), f(tr.get("dev_f1").asDouble()),
                    String.format(Locale.ROOT, "%.1f", teacherMb), "1.0x",
                    tr.has("encoder_gflops_128") ? gflops(tr) : String.format(Locale.ROOT, "%.2f",
                            ttq.model.bert.SavedClassifier.load(teacherRun.resolve("best.safetensors")).model().encoderFlops(128) / 1e9),
                    String.valueOf(tr.get("train_examples").asInt()),
                    String.valueOf(tr.get("epochs").asInt()), String.format(Locale.ROOT, "%.0f", tr.get("train_seconds").asDouble()));
            XYSeries points = new XYSeries(task + " (ttq)", false);
            points.add(teacherMb, tr.get("dev_acc").asDouble());
            List<String[]> rows = new ArrayList<>();
            for (int rank : s.ranks()) {
                for (int bits : new int[] {32, 8, 4}) {
                    rows.add(new String[] {"layerwise", String.valueOf(rank), String.valueOf(bits)});
                }
            }
            rows.add(new String[] {"all", String.valueOf(s.ranks()[0]), "8"});
            rows.add(new String[] {"xtc", String.valueOf(s.ranks()[0]), "2"});
            for (String[] r : rows) {
                String name = r[0].equals("xtc") ? "xtc ternary, half depth" : r[0] + " r" + r[1] + " " + (r[2].equals("32") ? "FP32" : "INT" + r[2]);
                Path run = runs.resolve(task + "-" + name.replaceAll("[ ,]+", "-"));
                if (!(s.resume() && Files.exists(run.resolve("results.json")))) {
                    List<String> a = new ArrayList<>(List.of("distill", "--task", task, "--teacher", teacherRun.toString(), "--data",
                            s.data().toString(), "--method", r[0], "--rank", r[1], "--embedding-rank", r[1], "--phase-epochs",
                            String.valueOf(s.phaseEpochs()), "--final-epochs", String.valueOf(s.finalEpochs()), "--seed", String.valueOf(s.seed()),
                            "--out", run.toString()));
                    if (!r[0].equals("xtc")) {
                        a.addAll(List.of("--bits", r[2]));
                    }
                    if (s.trainLimit() > 0) {
                        a.addAll(List.of("--train-limit", String.valueOf(s.trainLimit())));
                    }
                    int code = ReproduceCommand.runRow(task + " " + name, a, run, s.resume());
                    if (code != 0) {
                        return code;
                    }
                }
                JsonNode sr = json.readTree(run.resolve("results.json").toFile());
                double mb = sr.get("size_mb").asDouble();
                t.row(task, name, paper(name, task), f(sr.get("dev_acc").asDouble()), f(sr.get("dev_f1").asDouble()),
                        String.format(Locale.ROOT, "%.2f", mb), String.format(Locale.ROOT, "%.1fx", sr.get("compression").asDouble()), gflops(sr),
                        String.valueOf(sr.get("train_examples").asInt()), String.valueOf(sr.get("epochs").asInt()),
                        String.format(Locale.ROOT, "%.0f", sr.get("train_seconds").asDouble()));
                points.add(mb, sr.get("dev_acc").asDouble());
            }
            series.add(points);
        }
        Files.createDirectories(s.out());
        t.write(s.out(), table);
        SizeAccuracyPlot.write(s.out().resolve(table + ".png"), "GLUE dev: student size vs accuracy (teacher at the right)",
                "dev accuracy (%)", series, null, null);
        System.out.print(t.format());
        System.out.println("wrote " + s.out().resolve(table + ".{md,csv,json,png}"));
        return 0;
    }

    static String gflops(JsonNode results) {
        return results.has("encoder_gflops_128") ? String.format(Locale.ROOT, "%.2f", results.get("encoder_gflops_128").asDouble()) : "";
    }

    /** The paper's dev accuracy for a row label on a task, or "" where Table 4 has none. */
    static String paper(String row, String task) {
        double[] v = PAPER.get(row);
        int col = task.equals("sst2") ? 0 : task.equals("mrpc") ? 1 : -1;
        return v == null || col < 0 ? "" : f(v[col]);
    }

    static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
