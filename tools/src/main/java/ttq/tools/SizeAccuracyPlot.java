package ttq.tools;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.XYItemLabelGenerator;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The size (MB, log scale) vs score scatter the reproduce commands draw, as a PNG. The only class
 * of the commands that touches AWT, so a runtime without java.desktop (the GPU machine's jlink'd
 * one) runs everything but the plots.
 */
final class SizeAccuracyPlot {
    private SizeAccuracyPlot() {
    }

    /**
     * @param colors one per series, or null for JFreeChart's defaults
     * @param labels names of the first series' points, or null for none
     */
    static void write(Path file, String title, String yAxis, List<XYSeries> series, int[] colors, List<String> labels) throws IOException {
        System.setProperty("java.awt.headless", "true"); // rendered to a file; also when called in-process
        XYSeriesCollection data = new XYSeriesCollection();
        series.forEach(data::addSeries);
        LogAxis x = new LogAxis("model size (MB, log scale)");
        x.setSmallestValue(0.1);
        x.setNumberFormatOverride(new java.text.DecimalFormat("0.##"));
        NumberAxis y = new NumberAxis(yAxis);
        y.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        for (int i = 0; colors != null && i < colors.length; i++) {
            renderer.setSeriesPaint(i, new Color(colors[i]));
        }
        renderer.setDefaultStroke(new BasicStroke(1.5f));
        if (labels != null) {
            XYItemLabelGenerator names = (dataset, s, item) -> s == 0 ? labels.get(item) : null;
            renderer.setDefaultItemLabelGenerator(names);
            renderer.setDefaultItemLabelsVisible(true);
            renderer.setDefaultItemLabelFont(new Font("SansSerif", Font.PLAIN, 10));
        }
        save(file, title, new XYPlot(data, x, y, renderer));
    }

    /** Every plot of ttq in one style: white, light grid, legend, 900 x 560 PNG. */
    static void save(Path file, String title, XYPlot plot) throws IOException {
        System.setProperty("java.awt.headless", "true");
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 560);
    }
}
