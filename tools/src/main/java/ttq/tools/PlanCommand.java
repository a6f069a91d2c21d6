package ttq.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.engine.Tensor;
import ttq.model.tt.ContractionPlan;
import ttq.model.tt.TensorNetwork;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmLinear;
import ttq.tools.bench.BenchTable;

/**
 * {@code ttq plan}: every contraction order of one TT/TTM layer's forward network with its FLOPs,
 * peak intermediate memory and measured forward+backward time; the planner's choice is marked.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "List the contraction orders of a TT/TTM layer with FLOPs, peak memory and measured forward+backward time.")
public final class PlanCommand implements Callable<Integer> {
    @Option(names = "--format", defaultValue = "tt", description = "tt or ttm (default ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out-modes", required = true, description = "Output modes m_1..m_d, e.g. 24,32.")
    String outModes;

    @Option(names = "--in-modes", required = true, description = "Input modes n_1..n_d, e.g. 32,24.")
    String inModes;

    @Option(names = "--rank", defaultValue = "10", description = "Bond rank(s): one value or one per bond (default ${DEFAULT-VALUE}).")
    String rank;

    @Option(names = "--batch", defaultValue = "768", description = "Rows of the input (tokens), default ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--limit", defaultValue = "200", description = "At most this many orders, cheapest first (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--no-time", description = "Skip measuring each order.")
    boolean noTime;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        int[] out = ModeList.parse("--out-modes", outModes), in = ModeList.parse("--in-modes", inModes);
        int[] ranks = ModeList.parse("--rank", rank);
        if (batch < 1 || limit < 1) {
            throw new UsageException("--batch and --limit must be >= 1");
        }
        if (!format.equals("tt") && !format.equals("ttm")) {
            throw new UsageException("--format must be tt or ttm, got '" + format + "'");
        }
        Layer layer;
        try {
            layer = new Layer(format, out, in, ranks);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        TensorNetwork net = layer.network(batch);
        ContractionPlan best = ContractionPlan.optimal(net);
        ContractionPlan.Enumeration all = ContractionPlan.enumerate(net, limit);
        Random r = new Random(1);
        Tensor x = Tensor.normal(r, 1f, batch, layer.in());
        Tensor gy = Tensor.normal(r, 1f, batch, layer.out());
        List<ContractionPlan> plans = all.plans();
        double[] ms = new double[plans.size()];
        if (!noTime) {
            // every order once to warm up (JIT, heap), then interleaved rounds so drift hits all alike
            int rounds = 5;
            double[][] samples = new double[plans.size()][rounds];
            for (int round = -1; round < rounds; round++) {
                for (int i = 0; i < plans.size(); i++) {
                    layer.pin(plans.get(i).spec());
                    Tensor xg = x.copy().requiresGrad(true);
                    layer.zeroGrad();
                    long t0 = System.nanoTime();
                    layer.forward(xg).backward(gy);
                    long t1 = System.nanoTime();
                    if (round >= 0) {
                        samples[i][round] = (t1 - t0) / 1e6;
                    }
                }
            }
            for (int i = 0; i < plans.size(); i++) {
                java.util.Arrays.sort(samples[i]);
                ms[i] = samples[i][rounds / 2];
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < plans.size(); i++) {
            ContractionPlan p = plans.get(i);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("order", p.spec());
            row.put("chosen", p.spec().equals(best.spec()));
            row.put("flops", p.flops());
            row.put("peak_bytes", 4 * p.peakElements());
            row.put("largest_intermediate_bytes", 4 * p.largestIntermediate());
            if (!noTime) {
                row.put("fwd_bwd_ms", ms[i]);
            }
            rows.add(row);
        }
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("format", format);
            doc.put("out_modes", out);
            doc.put("in_modes", in);
            doc.put("ranks", layer.ranks());
            doc.put("batch", batch);
            doc.put("dense_flops", 2.0 * batch * layer.in() * layer.out());
            doc.put("chosen", best.spec());
            doc.put("truncated", all.truncated());
            doc.put("orders", rows);
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
            return 0;
        }
        BenchTable t = new BenchTable("ttq plan: " + format + " " + layer.out() + "x" + layer.in() + ", batch " + batch,
                noTime ? List.of("", "order", "MFLOPs", "peak MB", "largest MB") : List.of("", "order", "MFLOPs", "peak MB", "largest MB", "fwd+bwd ms"));
        t.context("network", String.join(" ", describe(net)));
        t.context("dense layer", String.format(Locale.ROOT, "%.1f MFLOPs", 2.0 * batch * layer.in() * layer.out() / 1e6));
        t.context("orders", all.plans().size() + (all.truncated() ? " (cut at --limit)" : " (all)") + "; * = planner's choice");
        for (Map<String, Object> row : rows) {
            List<String> cells = new ArrayList<>(List.of((Boolean) row.get("chosen") ? "*" : "", (String) row.get("order"),
                    f((Double) row.get("flops") / 1e6, 2), f((Double) row.get("peak_bytes") / 1e6, 3),
                    f((Double) row.get("largest_intermediate_bytes") / 1e6, 3)));
            if (!noTime) {
                cells.add(f((Double) row.get("fwd_bwd_ms"), 3));
            }
            t.row(cells.toArray(new String[0]));
        }
        System.out.print(t.format());
        return 0;
    }

    private static List<String> describe(TensorNetwork net) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < net.tensorCount(); i++) {
            out.add(net.name(i) + java.util.Arrays.toString(net.labels(i)).replace(" ", ""));
        }
        return out;
    }

    private static String f(double v, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    /** Either layer kind behind one interface for this command. */
    private static final class Layer {
        final TtLinear tt;
        final TtmLinear ttm;

        Layer(String format, int[] out, int[] in, int[] ranks) {
            Random r = new Random(7);
            tt = format.equals("tt") ? new TtLinear(out, in, ranks, false, r) : null;
            ttm = format.equals("ttm") ? new TtmLinear(out, in, ranks[0], false, r) : null;
        }

        TensorNetwork network(int b) {
            return tt != null ? tt.network(b) : ttm.network(b);
        }

        int in() {
            return tt != null ? tt.inFeatures() : ttm.inFeatures();
        }

        int out() {
            return tt != null ? tt.outFeatures() : ttm.outFeatures();
        }

        int[] ranks() {
            return tt != null ? tt.ranks() : ttm.ranks();
        }

        void pin(String spec) {
            if (tt != null) {
                tt.pin(spec);
            } else {
                ttm.pin(spec);
            }
        }

        void zeroGrad() {
            if (tt != null) {
                tt.zeroGrad();
            } else {
                ttm.zeroGrad();
            }
        }

        Tensor forward(Tensor x) {
            return tt != null ? tt.forward(x) : ttm.forward(x);
        }
    }
}
