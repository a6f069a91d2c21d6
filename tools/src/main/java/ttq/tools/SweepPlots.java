package ttq.tools;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The plots of {@code ttq report}: size vs accuracy with the Pareto front per task, training time vs rank. */
final class SweepPlots {
    private SweepPlots() {
    }

    /** Writes the plots into dir and returns their file names. */
    static List<String> write(Path dir, List<ReportCommand.Group> all, List<ReportCommand.Group> front, String metric,
                              List<String> keyColumns) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<String> written = new ArrayList<>();
        Map<String, List<ReportCommand.Group>> byTask = all.stream().collect(Collectors.groupingBy(ReportCommand.Group::task,
                LinkedHashMap::new, Collectors.toList()));
        for (Map.Entry<String, List<ReportCommand.Group>> e : byTask.entrySet()) {
            XYSeries points = new XYSeries("configurations", false), line = new XYSeries("Pareto front", false);
            List<String> labels = new ArrayList<>();
            for (ReportCommand.Group g : e.getValue()) {
                if (!Double.isNaN(g.mean(metric))) {
                    points.add(g.mean("size_mb"), g.mean(metric));
                    labels.add(g.keys().entrySet().stream().map(k -> k.getKey() + " " + k.getValue()).collect(Collectors.joining(", ")));
                }
            }
            for (ReportCommand.Group g : front) {
                if (g.task().equals(e.getKey())) {
                    line.add(g.mean("size_mb"), g.mean(metric));
                }
            }
            XYSeriesCollection data = new XYSeriesCollection();
            data.addSeries(points);
            data.addSeries(line);
            LogAxis x = new LogAxis("model size (MB, log scale)");
            x.setSmallestValue(0.01);
            x.setNumberFormatOverride(new java.text.DecimalFormat("0.###"));
            NumberAxis y = new NumberAxis(metric + " (%)");
            y.setAutoRangeIncludesZero(false);
            XYLineAndShapeRenderer r = new XYLineAndShapeRenderer();
            r.setSeriesLinesVisible(0, false);
            r.setSeriesShapesVisible(1, false);
            r.setSeriesPaint(0, new Color(0x1f77b4));
            r.setSeriesPaint(1, new Color(0xd62728));
            r.setSeriesStroke(1, new BasicStroke(1.5f));
            r.setSeriesItemLabelGenerator(0, (dataset, s, item) -> labels.get(item));
            r.setSeriesItemLabelsVisible(0, true);
            r.setSeriesItemLabelFont(0, new Font("SansSerif", Font.PLAIN, 9));
            String name = "report-pareto-" + e.getKey().replaceAll("[^A-Za-z0-9]", "") + ".png";
            SizeAccuracyPlot.save(dir.resolve(name), "Sweep, " + e.getKey() + ": size vs " + metric + " (Pareto front in red)", new XYPlot(data, x, y, r));
            written.add(name);
        }
        if (keyColumns.contains("rank") && all.stream().anyMatch(g -> g.values().containsKey("train_seconds"))) {
            Map<String, XYSeries> series = new LinkedHashMap<>();
            for (ReportCommand.Group g : all) {
                String other = g.keys().entrySet().stream().filter(k -> !k.getKey().equals("rank"))
                        .map(k -> k.getKey() + " " + k.getValue()).collect(Collectors.joining(", "));
                String label = (byTask.size() > 1 ? g.task() + " " : "") + (other.isEmpty() ? "all" : other);
                try {
                    series.computeIfAbsent(label, l -> new XYSeries(l, true)).add(Double.parseDouble(g.keys().get("rank")), g.mean("train_seconds"));
                } catch (NumberFormatException ignored) {
                    // a non-numeric rank cannot be placed on the axis
                }
            }
            XYSeriesCollection data = new XYSeriesCollection();
            series.values().forEach(data::addSeries);
            XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
            NumberAxis y = new NumberAxis("training time (s)");
            y.setAutoRangeIncludesZero(false);
            SizeAccuracyPlot.save(dir.resolve("report-time-vs-rank.png"), "Sweep: training time vs TT rank", new XYPlot(data, new NumberAxis("TT rank"), y, r));
            written.add("report-time-vs-rank.png");
        }
        return written;
    }
}
