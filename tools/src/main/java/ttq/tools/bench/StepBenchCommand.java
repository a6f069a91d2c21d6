package ttq.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.engine.GradMode;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.engine.optim.Adam;
import ttq.kernels.Blas;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;
import ttq.tools.UsageException;

/**
 * {@code ttq bench step}: one training step (forward, backward, Adam) and one inference forward of
 * the ATIS model, dense and TT, on batch 32 x 24, beside ../shared/peers/torch_atis_step.py (the
 * same model in PyTorch) run in the same call. Prints the peer's JSON fields for ttq too.
 */
@Command(name = "step", mixinStandardHelpOptions = true,
        description = "ATIS model train step and inference time, dense and TT, vs PyTorch (torch_atis_step.py).")
public final class StepBenchCommand implements Callable<Integer> {
    @Option(names = "--peer", defaultValue = "../shared/peers/torch_atis_step.py", description = "PyTorch peer script (default ${DEFAULT-VALUE}); 'none' to skip.")
    String peer;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch (default ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu (the CUDA backend is not built yet).")
    String device;

    @Option(names = "--steps", defaultValue = "8", description = "Timed steps; the median is reported (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--out", description = "Directory for bench-step.csv/.json/.md.")
    Path out;

    private static final int B = 32, L = 24, V = 800, NI = 26, NS = 130;

    @Override
    public Integer call() throws Exception {
        if (!device.equals("cpu")) {
            throw new UsageException("--device " + device + ": only cpu is available (no CUDA backend in this build)");
        }
        if (steps < 3) {
            throw new UsageException("--steps must be at least 3");
        }
        Map<String, JsonNode> peerRows = runPeer();
        ObjectMapper json = new ObjectMapper();
        BenchTable t = new BenchTable("ttq bench step (ATIS model, batch " + B + " x " + L + ")",
                List.of("model", "params", "ttq train step ms", "torch train step ms", "ttq/torch train", "ttq infer ms",
                        "torch infer ms", "ttq/torch infer"));
        t.context("threads", Blas.threads() + " (OpenBLAS), " + Runtime.getRuntime().availableProcessors() + " cores");
        t.context("model", "as the peer: 2 post-LN blocks, hidden 768, 12 heads, FFN 3072, vocab 800, 26 intents, 130 slot tags,"
                + " no dropout; TT rank 10, TTM embedding rank 30, FP32");
        t.context("peer", peerRows.isEmpty() ? "not run (" + peer + ")" : peerRows.values().iterator().next().get("peer").asText());
        for (String format : List.of("dense", "tt")) {
            TransformerConfig c = TransformerConfig.atisTable1(V, NI, NS, format, 32, 64, 0f);
            JointIntentSlotModel m = new JointIntentSlotModel(c, 1);
            Adam opt = new Adam(m.parameters(), 1e-3f, 0.9f, 0.98f, 1e-8f, 0f);
            Random r = new Random(2);
            int[] ids = new int[B * L], slots = new int[B * L], intents = new int[B];
            float[] mask = new float[B * L];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = 1 + r.nextInt(V - 1);
                slots[i] = r.nextInt(NS);
                mask[i] = 1f;
            }
            for (int i = 0; i < B; i++) {
                intents[i] = r.nextInt(NI);
            }
            double train = Timing.quickMedian(() -> {
                opt.zeroGrad();
                try (StepScope ignored = StepScope.open()) {
                    Tensor loss = m.loss(m.forward(ids, mask, B, L), intents, slots);
                    loss.backward();
                    opt.step();
                }
            }, 3, steps);
            m.eval();
            double infer;
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                infer = Timing.quickMedian(() -> {
                    try (StepScope step = StepScope.open()) {
                        m.forward(ids, mask, B, L);
                    }
                }, 3, steps);
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("peer", "ttq");
            row.put("threads", Blas.threads());
            row.put("model", format);
            row.put("batch", B);
            row.put("seq", L);
            row.put("params", m.parameterCount());
            row.put("train_step_ms", Math.round(train / 1e4) / 100.0);
            row.put("infer_ms", Math.round(infer / 1e4) / 100.0);
            row.put("tokens_per_s_train", Math.round(B * L / (train / 1e9)));
            System.out.println(json.writeValueAsString(row));
            JsonNode p = peerRows.get(format);
            double pt = p == null ? Double.NaN : p.get("train_step_ms").asDouble(), pi = p == null ? Double.NaN : p.get("infer_ms").asDouble();
            t.row(format, String.valueOf(m.parameterCount()), f(train / 1e6), Double.isNaN(pt) ? "-" : f(pt),
                    Double.isNaN(pt) ? "-" : f(train / 1e6 / pt), f(infer / 1e6), Double.isNaN(pi) ? "-" : f(pi),
                    Double.isNaN(pi) ? "-" : f(infer / 1e6 / pi));
        }
        System.out.print(t.format());
        if (out != null) {
            t.write(out, "bench-step");
            System.out.println("wrote " + out.resolve("bench-step.{csv,json,md}"));
        }
        return 0;
    }

    private Map<String, JsonNode> runPeer() throws Exception {
        Map<String, JsonNode> rows = new HashMap<>();
        for (JsonNode n : PeerScript.run(python, Path.of(peer), PeerScript.threads())) {
            rows.put(n.get("model").asText(), n);
        }
        return rows;
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
