package ttq.tools;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.Pointer;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.engine.optim.Adam;
import ttq.model.data.IntentSlotCorpus;
import ttq.model.data.JointBatcher;
import ttq.model.data.Utterance;
import ttq.model.train.TrainingCheckpoint;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;
import ttq.tools.bench.BenchTable;

/**
 * {@code ttq soak}: the TT INT8 ATIS training step run for many steps (batches of the real training
 * split, epochs reshuffled, a checkpoint written every 1,000 steps) while the process's memory is
 * sampled every {@code --every} steps: Java heap after a full GC, resident set size (/proc), the
 * native memory JavaCPP tracks, and the JVM's direct buffers. Writes soak.csv, soak.md (with the
 * least-squares slope of each series after {@code --settle} steps, in MB per 1,000 steps) and soak.png.
 * A leak shows as a slope; a flat line after the warm-up is the pass.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Run the TT INT8 ATIS training step for many steps, sampling heap, RSS and native memory; write CSV, Markdown and PNG.")
public final class SoakCommand implements Callable<Integer> {
    @Option(names = "--steps", defaultValue = "10000", description = "Training steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--every", defaultValue = "500", description = "Sample memory every N steps (default ${DEFAULT-VALUE}).")
    int every;

    @Option(names = "--settle", defaultValue = "1000", description = "Steps of warm-up left out of the slopes (default ${DEFAULT-VALUE}).")
    int settle;

    @Option(names = "--data", defaultValue = "test-data/atis", description = "ATIS-layout corpus (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--batch", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--bits", defaultValue = "8", description = "Core precision of the TT model: 32, 8, 4 or 2 (default ${DEFAULT-VALUE}).")
    int bits;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for soak.csv, soak.md and soak.png.")
    Path out;

    /** One memory sample. */
    record Sample(long step, double seconds, double heapMb, double rssMb, double javacppMb, double directMb, float loss) {
    }

    @Override
    public Integer call() throws Exception {
        UsageException.require(steps >= 1 && every >= 1 && settle >= 0 && batch >= 1, "--steps, --every and --batch must be >= 1, --settle >= 0");
        UsageException.require(settle < steps, "--settle must be below --steps");
        List<Utterance> train = IntentSlotCorpus.read(data.resolve("train"));
        JointBatcher batcher = new JointBatcher(train, 64);
        TransformerConfig c = Commands.usage(() -> TransformerConfig.atisTable1(batcher.words().size(), batcher.intents().size(),
                batcher.slots().size(), "tt", bits, 64, 0.1f));
        JointIntentSlotModel model = new JointIntentSlotModel(c, 1);
        Adam opt = new Adam(model.parameters(), 1e-3f, 0.9f, 0.98f, 1e-8f, 0f);
        Files.createDirectories(out);
        Path checkpoint = Files.createTempDirectory("ttq-soak-").resolve("checkpoint.safetensors");
        System.out.printf(Locale.ROOT, "soak: TT INT%d ATIS step, batch %d, %d steps, memory every %d; pid %d%n", bits, batch, steps, every,
                ProcessHandle.current().pid());
        List<Sample> samples = new ArrayList<>();
        long t0 = System.nanoTime();
        samples.add(sample(0, t0, Float.NaN));
        long step = 0;
        int epoch = 0;
        model.train(true);
        while (step < steps) {
            for (JointBatcher.Batch b : batcher.batches(train, batch, 1_000_003L * ++epoch)) {
                if (step >= steps) {
                    break;
                }
                model.reseedDropout(1, epoch, (int) step);
                opt.zeroGrad();
                float loss;
                try (StepScope s = StepScope.open()) {
                    Tensor l = model.loss(model.forward(b.ids(), b.mask(), b.batch(), b.length()), b.intentLossTargets(), b.slots());
                    loss = l.item();
                    l.backward();
                    opt.step();
                }
                step++;
                if (step % 1000 == 0) {
                    TrainingCheckpoint.save(checkpoint, model, opt, Map.of("step", Long.toString(step)));
                }
                if (step % every == 0 || step == steps) {
                    Sample s = sample(step, t0, loss);
                    samples.add(s);
                    System.out.printf(Locale.ROOT, "step %6d  %7.1f s  loss %.4f  heap %.1f MB  RSS %.1f MB  JavaCPP %.1f MB  direct %.1f MB%n",
                            s.step(), s.seconds(), s.loss(), s.heapMb(), s.rssMb(), s.javacppMb(), s.directMb());
                }
            }
        }
        Files.deleteIfExists(checkpoint);
        Files.deleteIfExists(checkpoint.getParent());
        write(samples);
        return 0;
    }

    private static Sample sample(long step, long t0, float loss) {
        StepScope.releasePool(); // the last step's arrays, kept for the next one: a cache of one step, not a leak
        for (int i = 0; i < 2; i++) { // a second collection frees what the first one's finalization released
            System.gc();
        }
        double heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1e6;
        double direct = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                direct = pool.getMemoryUsed() / 1e6;
            }
        }
        return new Sample(step, (System.nanoTime() - t0) / 1e9, heap, rssMb(), Pointer.totalBytes() / 1e6, direct, loss);
    }

    /** Resident set size from /proc/self/status (Linux), or Pointer.physicalBytes() elsewhere. */
    private static double rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1e3; // kB
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: JavaCPP's own reading of the same number
        }
        return Pointer.physicalBytes() / 1e6;
    }

    /** Least-squares slope of y over steps after the warm-up, in MB per 1,000 steps. */
    private double slope(List<Sample> samples, java.util.function.ToDoubleFunction<Sample> y) {
        double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (Sample s : samples) {
            if (s.step() < settle) {
                continue;
            }
            double x = s.step() / 1000.0, v = y.applyAsDouble(s);
            n++;
            sx += x;
            sy += v;
            sxx += x * x;
            sxy += x * v;
        }
        return n < 2 ? Double.NaN : (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    private void write(List<Sample> samples) throws IOException {
        StringBuilder csv = new StringBuilder("step,seconds,loss,heap_after_gc_mb,rss_mb,javacpp_mb,direct_mb\n");
        for (Sample s : samples) {
            csv.append(String.format(Locale.ROOT, "%d,%.2f,%s,%.3f,%.3f,%.3f,%.3f%n", s.step(), s.seconds(), Float.isNaN(s.loss()) ? "" : s.loss(),
                    s.heapMb(), s.rssMb(), s.javacppMb(), s.directMb()));
        }
        Files.writeString(out.resolve("soak.csv"), csv);
        BenchTable t = new BenchTable(String.format(Locale.ROOT, "ttq soak: TT INT%d ATIS training step x %d (batch %d)", bits, steps, batch),
                List.of("series", "at step " + settle + " (MB)", "at the end (MB)", "slope after step " + settle + " (MB / 1,000 steps)"));
        Sample first = samples.stream().filter(s -> s.step() >= settle).findFirst().orElseThrow(), last = samples.get(samples.size() - 1);
        String[] names = {"heap after GC", "RSS", "JavaCPP native", "direct buffers"};
        List<java.util.function.ToDoubleFunction<Sample>> series = List.of(Sample::heapMb, Sample::rssMb, Sample::javacppMb, Sample::directMb);
        for (int i = 0; i < names.length; i++) {
            t.row(names[i], String.format(Locale.ROOT, "%.1f", series.get(i).applyAsDouble(first)),
                    String.format(Locale.ROOT, "%.1f", series.get(i).applyAsDouble(last)), String.format(Locale.ROOT, "%+.3f", slope(samples, series.get(i))));
        }
        t.context("run", String.format(Locale.ROOT, "%.0f s, %.1f ms per step; memory sampled every %d steps after emptying the step-memory "
                + "pool (StepScope: the last step's arrays) and two System.gc() calls; a checkpoint written every 1,000 steps", last.seconds(), 1e3 * last.seconds() / steps, every));
        t.context("jvm", Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB max heap; " + ManagementFactory.getRuntimeMXBean().getInputArguments());
        System.out.print(t.format());
        t.write(out, "soak");
        XYSeriesCollection data = new XYSeriesCollection();
        for (int i = 0; i < names.length; i++) {
            XYSeries xy = new XYSeries(names[i], true);
            for (Sample s : samples) {
                xy.add(s.step(), series.get(i).applyAsDouble(s));
            }
            data.addSeries(xy);
        }
        NumberAxis y = new NumberAxis("MB");
        SizeAccuracyPlot.save(out.resolve("soak.png"), String.format(Locale.ROOT, "ttq soak: memory over %d TT INT%d training steps", steps, bits),
                new XYPlot(data, new NumberAxis("training step"), y, new XYLineAndShapeRenderer(true, true)));
        System.out.println("wrote " + out.resolve("soak.{csv,md,json,png}"));
    }
}
