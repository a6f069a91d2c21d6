package ttq.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import ttq.model.data.DataFormatException;
import ttq.tools.bench.BenchTable;

/**
 * {@code ttq report SWEEP_DIR}: one table of every configuration of a sweep (seeds aggregated as
 * mean ± sample std), the Pareto front of size vs the main metric marked, as report.md and
 * report.csv, and PNG plots: size vs metric per task with the front drawn, and training time vs
 * rank when the grid has ranks.
 */
@Command(name = "report", mixinStandardHelpOptions = true, description = "Table and plots of a sweep folder: every point, seeds "
        + "aggregated, Pareto front of size vs accuracy.")
public final class ReportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SWEEP_DIR", description = "Folder written by ttq sweep.")
    Path dir;

    @Option(names = "--metric", description = "Accuracy metric of the front (default: intent_acc for train, dev_acc for distill).")
    String metric;

    /** One configuration (seeds pooled). */
    record Group(String task, Map<String, String> keys, Map<String, List<Double>> values) {
        double mean(String m) {
            return values.getOrDefault(m, List.of()).stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }

        double std(String m) {
            List<Double> v = values.getOrDefault(m, List.of());
            if (v.size() < 2) {
                return 0;
            }
            double mu = mean(m), s = 0;
            for (double x : v) {
                s += (x - mu) * (x - mu);
            }
            return Math.sqrt(s / (v.size() - 1));
        }

        int seeds() {
            return values.getOrDefault("size_mb", List.of()).size();
        }
    }

    @Override
    public Integer call() throws Exception {
        ObjectNode plan = SweepPlan.readWritten(dir);
        String command = plan.path("command").asText("train");
        List<String> gridKeys = new ArrayList<>();
        plan.path("grid").fieldNames().forEachRemaining(gridKeys::add);
        List<String> keyColumns = gridKeys.stream().filter(k -> !k.equals("seed")).toList();
        List<String> metrics = command.equals("distill") ? List.of("dev_acc", "dev_f1") : List.of("intent_acc", "slot_f1", "frame_acc");
        String main = metric != null ? metric : metrics.get(0);
        Map<String, Group> groups = new LinkedHashMap<>();
        int missing = 0;
        for (JsonNode nameNode : plan.path("points")) {
            Path run = dir.resolve("points").resolve(nameNode.asText());
            if (!Files.exists(run.resolve("results.json"))) {
                missing++;
                continue;
            }
            ObjectNode config = ExperimentConfig.read(run.resolve("config.json"));
            ObjectNode results = ExperimentConfig.read(run.resolve("results.json"));
            Map<String, String> keys = new LinkedHashMap<>();
            for (String k : keyColumns) {
                keys.put(k, config.path(k).asText(""));
            }
            String task = config.path("task").asText(command.equals("distill") ? "?" : "atis");
            Group g = groups.computeIfAbsent(task + "|" + keys, x -> new Group(task, keys, new TreeMap<>()));
            for (Iterator<Map.Entry<String, JsonNode>> it = results.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isNumber()) {
                    g.values().computeIfAbsent(e.getKey(), x -> new ArrayList<>()).add(e.getValue().asDouble());
                }
            }
        }
        if (groups.isEmpty()) {
            throw new DataFormatException(dir + ": no finished point (no points/*/results.json)");
        }
        if (groups.values().stream().noneMatch(g -> g.values().containsKey(main))) {
            throw new UsageException("--metric " + main + ": no results.json in " + dir + " has it");
        }
        List<Group> all = new ArrayList<>(groups.values());
        List<Group> front = ParetoFront.of(all, g -> g.mean("size_mb"), g -> g.mean(main));

        List<String> columns = new ArrayList<>(List.of("task"));
        columns.addAll(keyColumns);
        columns.add("seeds");
        columns.addAll(metrics);
        columns.addAll(List.of("size MB", "compression", "train s", "Pareto"));
        BenchTable t = new BenchTable("Sweep " + dir.getFileName() + ": ttq " + command + ", " + all.size() + " configurations", columns);
        t.context("sweep", dir.toString() + " (" + plan.path("points").size() + " points" + (missing > 0 ? ", " + missing + " unfinished" : "") + ")");
        t.context("values", "mean ± sample std over seeds where a configuration has several");
        t.context("Pareto", "no other configuration is at most as large and at least as accurate on " + main + " (one of them strictly)");
        for (Group g : all) {
            List<String> row = new ArrayList<>(List.of(g.task()));
            row.addAll(g.keys().values());
            row.add(String.valueOf(g.seeds()));
            for (String m : metrics) {
                row.add(meanStd(g, m, 2));
            }
            row.add(meanStd(g, "size_mb", 3));
            row.add(String.format(Locale.ROOT, "%.1fx", g.mean("compression")));
            row.add(meanStd(g, "train_seconds", 0));
            row.add(front.contains(g) ? "yes" : "");
            t.row(row.toArray(new String[0]));
        }
        t.write(dir, "report");
        System.out.print(t.format());
        List<String> plots = SweepPlots.write(dir, all, front, main, keyColumns);
        System.out.println("wrote " + dir.resolve("report.{md,csv,json}") + (plots.isEmpty() ? "" : " and " + String.join(", ", plots)));
        return 0;
    }

    private static String meanStd(Group g, String m, int decimals) {
        double mu = g.mean(m);
        if (Double.isNaN(mu)) {
            return "";
        }
        String f = "%." + decimals + "f";
        return g.seeds() > 1 ? String.format(Locale.ROOT, f + " ± " + f, mu, g.std(m)) : String.format(Locale.ROOT, f, mu);
    }
}
