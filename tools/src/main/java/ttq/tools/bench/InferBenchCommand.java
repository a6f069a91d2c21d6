package ttq.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.kernels.Blas;
import ttq.kernels.Int8Path;
import ttq.model.infer.JointRuntime;
import ttq.model.infer.RuntimeSession;
import ttq.model.quant.WeightScaleInit;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;
import ttq.tools.OnnxJointModel;
import ttq.tools.UsageException;

/**
 * {@code ttq bench infer}: inference latency and throughput of the ATIS model of Table 1 on the
 * runtime (TT INT8 / INT4 / INT2, TT FP32, dense FP32) and on the training network, beside
 * ../shared/peers/torch_atis_infer.py (PyTorch dense FP32, dense dynamic INT8, TT FP32) run in the
 * same call with the same protocol: batch 1 is one utterance of each length in the peer's list,
 * timed one at a time over the rounds (p50, p99); batch 32 x 24 is timed whole (median), as
 * utterances per second. Weights are untrained (timing does not depend on their values), with
 * every quantizer's scale set from data as training sets it.
 */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = "Inference latency (batch 1, p50/p99) and throughput (batch 32 x 24) of the runtime vs PyTorch (torch_atis_infer.py).")
public final class InferBenchCommand implements Callable<Integer> {
    @Option(names = "--peer", defaultValue = "../shared/peers/torch_atis_infer.py", description = "PyTorch peer script (default "
            + "${DEFAULT-VALUE}); 'none' to skip.")
    String peer;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch (default ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for batch 32 x 24 and for the peer (default: the cores). "
            + "Batch 1 runs on one thread.")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--rounds", defaultValue = "30", description = "Rounds over the batch-1 lengths (default ${DEFAULT-VALUE}, as the peer).")
    int rounds;

    @Option(names = "--onnx", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Also time the models "
            + "exported to ONNX (ttq export --format onnx) under ONNX Runtime: TT INT8 on 1 and --threads threads, TT FP32 and dense FP32 on "
            + "--threads (default: on; --no-onnx skips).")
    boolean onnx;

    @Option(names = "--out", description = "Directory for bench-infer.csv/.json/.md and bench-infer.png.")
    Path out;

    /** The peer's model and inputs: vocabulary 800, 26 intents, 130 slot tags; batch 32 x 24; these batch-1 lengths. */
    private static final int V = 800, NI = 26, NS = 130, B = 32, L = 24;
    static final int[] LENGTHS = {4, 6, 8, 9, 10, 11, 11, 12, 13, 14, 16, 18, 20, 24, 30};

    /** One measured form: batch-1 latencies (ms, every call) and the batch 32 x 24 time (ms). */
    record Result(String form, String label, double p50, double p99, double batchMs) {
        double utterancesPerSecond() {
            return B / (batchMs / 1e3);
        }
    }

    /** Something that runs one batch: ids one utterance after another, lengths per utterance. */
    @FunctionalInterface
    interface Forward {
        void run(int[] ids, int[] lengths, int batch);
    }

    @Override
    public Integer call() throws Exception {
        if (threads < 1 || rounds < 1) {
            throw new UsageException("--threads and --rounds must be at least 1");
        }
        Map<String, JsonNode> peerRows = new LinkedHashMap<>();
        for (JsonNode n : PeerScript.run(python, Path.of(peer), String.valueOf(threads), String.valueOf(rounds))) {
            peerRows.put(n.get("form").asText(), n);
        }
        Random random = new Random(1);
        int[][] single = new int[LENGTHS.length][];
        for (int i = 0; i < LENGTHS.length; i++) {
            single[i] = random.ints(LENGTHS[i], 0, V).toArray();
        }
        int[] batchIds = random.ints(B * L, 0, V).toArray();
        List<Result> results = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        JointIntentSlotModel int8Net = null;
        Map<String, JointIntentSlotModel> nets = new LinkedHashMap<>();
        for (String form : List.of("tt-int8", "tt-int4", "tt-int2", "tt-fp32", "dense-fp32")) {
            boolean tt = form.startsWith("tt");
            int bits = form.endsWith("int8") ? 8 : form.endsWith("int4") ? 4 : form.endsWith("int2") ? 2 : 32;
            JointIntentSlotModel net = model(tt ? "tt" : "dense", bits, batchIds);
            if (bits == 8) {
                int8Net = net;
            }
            nets.put(form, net);
            JointRuntime runtime = JointRuntime.of(net);
            RuntimeSession one = runtime.newSession(1), many = runtime.newSession(threads);
            Result r = measure(form, "runtime " + label(tt, bits), one::forward, many::forward, single, batchIds);
            results.add(r);
            System.out.println(json.writeValueAsString(row(r)));
        }
        JointIntentSlotModel net = int8Net;
        Result training = measure("training-tt-int8", "training network TT INT8 (fake quantization)",
                (ids, lengths, b) -> trainingForward(net, ids, lengths, b), (ids, lengths, b) -> trainingForward(net, ids, lengths, b),
                single, batchIds);
        results.add(training);
        System.out.println(json.writeValueAsString(row(training)));
        if (onnx) {
            for (String form : List.of("tt-int8", "tt-fp32", "dense-fp32")) {
                for (int n : form.equals("tt-int8") && threads > 1 ? new int[] {1, threads} : new int[] {threads}) {
                    Result r = onnxRuntime(form, nets.get(form), n, single, batchIds);
                    results.add(r);
                    System.out.println(json.writeValueAsString(row(r)));
                }
            }
        }
        for (Map.Entry<String, JsonNode> e : peerRows.entrySet()) {
            JsonNode p = e.getValue();
            String label = switch (e.getKey()) {
                case "dense" -> "PyTorch dense FP32";
                case "dense-int8" -> "PyTorch dense dynamic INT8";
                case "tt" -> "PyTorch TT FP32";
                default -> "PyTorch " + e.getKey();
            };
            results.add(new Result("torch-" + e.getKey(), label, p.get("batch1_p50_ms").asDouble(), p.get("batch1_p99_ms").asDouble(),
                    p.get("batch32x24_ms").asDouble()));
        }
        JsonNode denseInt8 = peerRows.get("dense-int8"), ttPeer = peerRows.get("tt");
        BenchTable t = new BenchTable("ttq bench infer (ATIS model of Table 1: batch 1 over " + LENGTHS.length + " lengths x " + rounds
                + " rounds; batch 32 x 24)", List.of("form", "batch-1 p50 ms", "batch-1 p99 ms", "batch 32x24 ms", "utterances/s",
                "p50 / torch dense INT8", "p50 / torch TT FP32", "utt/s / torch dense INT8"));
        t.context("threads", "batch 1: 1 thread (ttq runtime); batch 32 x 24 and the peer: " + threads + "; ONNX Runtime: the threads in "
                + "its row, batch 1 and 32 x 24 alike; OpenBLAS " + Blas.threads()
                + "; " + Runtime.getRuntime().availableProcessors() + " cores");
        t.context("int8 path", Int8Path.selected() + " (" + Int8Path.selected().description() + ")");
        t.context("model", "2 post-LN blocks, hidden 768, 12 heads, FFN 3072, vocab 800, 26 intents, 130 slot tags; TT rank 10, TTM "
                + "rank 30; quantized forms: INT8 inputs and INT8 attention, as Table 1; untrained weights, scales set from data");
        t.context("batch-1 lengths", Arrays.toString(LENGTHS));
        t.context("peer", peerRows.isEmpty() ? "not run (" + peer + ")" : peerRows.values().iterator().next().get("peer").asText());
        for (Result r : results) {
            t.row(r.label(), f3(r.p50()), f3(r.p99()), f2(r.batchMs()), String.format(Locale.ROOT, "%.0f", r.utterancesPerSecond()),
                    ratio(r.p50(), denseInt8 == null ? Double.NaN : denseInt8.get("batch1_p50_ms").asDouble()),
                    ratio(r.p50(), ttPeer == null ? Double.NaN : ttPeer.get("batch1_p50_ms").asDouble()),
                    ratio(r.utterancesPerSecond(), denseInt8 == null ? Double.NaN : denseInt8.get("utterances_per_s").asDouble()));
        }
        Result int8 = results.get(0);
        t.context("runtime TT INT8 vs training network, batch-1 p50", String.format(Locale.ROOT, "%.1fx faster", training.p50() / int8.p50()));
        System.out.print(t.format());
        if (out != null) {
            t.write(out, "bench-infer");
            InferBenchPlot.write(out.resolve("bench-infer.png"), results);
            System.out.println("wrote " + out.resolve("bench-infer.{csv,json,md,png}"));
        }
        return 0;
    }

    /**
     * The model exported to ONNX (as ttq export --format onnx writes it, planned for 32 rows) and timed under ONNX Runtime 1.20
     * (Java API, all graph optimizations, {@code n} intra-op threads) with the same protocol as the other rows.
     */
    private Result onnxRuntime(String form, JointIntentSlotModel net, int n, int[][] single, int[] batchIds) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("ttq-bench-", ".onnx");
        try {
            ttq.model.onnx.OnnxExport.write(ttq.model.onnx.OnnxExport.of(net, ttq.model.onnx.OnnxExport.Options.defaults(), Map.of()), file);
            try (OnnxJointModel ort = OnnxJointModel.open(file, n)) {
                Forward run = (ids, lengths, b) -> {
                    int l = lengths[0];
                    float[] mask = new float[b * l];
                    Arrays.fill(mask, 1f);
                    try {
                        ort.logits(ids, mask, b, l);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                };
                boolean tt = form.startsWith("tt");
                int bits = form.endsWith("int8") ? 8 : 32;
                return measure("onnxruntime-" + form + "-" + n + "t", "ONNX Runtime " + label(tt, bits) + ", " + n + " thread" + (n == 1 ? "" : "s"),
                        run, run, single, batchIds);
            }
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    /** The Table 1 model as the peer builds it, its quantizers' scales set from a forward of the batch (LSQ start for INT2 weights). */
    private static JointIntentSlotModel model(String format, int bits, int[] batchIds) {
        TransformerConfig c = TransformerConfig.atisTable1(V, NI, NS, format, bits, 64, 0f);
        JointIntentSlotModel net = new JointIntentSlotModel(c, 1);
        if (bits == 2) {
            WeightScaleInit.apply(net, LearnedScaleQuantizer.Init.LSQ);
        }
        net.eval();
        float[] mask = new float[B * L];
        Arrays.fill(mask, 1f);
        try (GradMode.Scope ignored = GradMode.noGrad(); StepScope step = StepScope.open()) {
            net.forward(batchIds, mask, B, L);
        }
        return net;
    }

    /** The training network's forward (no gradients, step-scoped buffers) on a batch without padding (all lengths equal). */
    private static void trainingForward(JointIntentSlotModel net, int[] ids, int[] lengths, int batch) {
        int l = lengths[0];
        float[] mask = new float[batch * l];
        Arrays.fill(mask, 1f);
        try (GradMode.Scope ignored = GradMode.noGrad(); StepScope step = StepScope.open()) {
            net.forward(ids, mask, batch, l);
        }
    }

    private Result measure(String form, String label, Forward one, Forward many, int[][] single, int[] batchIds) {
        int[][] lengths = new int[single.length][];
        for (int i = 0; i < single.length; i++) {
            lengths[i] = new int[] {single[i].length};
        }
        // warm-up: the JIT compiles the loops; at least two rounds and two seconds
        long start = System.nanoTime();
        for (int w = 0; w < 2 || System.nanoTime() - start < 2_000_000_000L; w++) {
            for (int i = 0; i < single.length; i++) {
                one.run(single[i], lengths[i], 1);
            }
        }
        double[] lat = new double[rounds * single.length];
        for (int k = 0, at = 0; k < rounds; k++) {
            for (int i = 0; i < single.length; i++) {
                long t0 = System.nanoTime();
                one.run(single[i], lengths[i], 1);
                lat[at++] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(lat);
        int[] batchLengths = new int[B];
        Arrays.fill(batchLengths, L);
        start = System.nanoTime();
        for (int w = 0; w < 2 || System.nanoTime() - start < 1_000_000_000L; w++) {
            many.run(batchIds, batchLengths, B);
        }
        double[] bt = new double[10];
        for (int k = 0; k < bt.length; k++) {
            long t0 = System.nanoTime();
            many.run(batchIds, batchLengths, B);
            bt[k] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(bt);
        // percentiles as the peer takes them: sorted[min(n - 1, int(q n))]
        return new Result(form, label, lat[Math.min(lat.length - 1, (int) (0.5 * lat.length))],
                lat[Math.min(lat.length - 1, (int) (0.99 * lat.length))], bt[bt.length / 2]);
    }

    private Map<String, Object> row(Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("peer", "ttq");
        m.put("threads", threads);
        m.put("form", r.form());
        m.put("batch1_p50_ms", Math.round(r.p50() * 1e3) / 1e3);
        m.put("batch1_p99_ms", Math.round(r.p99() * 1e3) / 1e3);
        m.put("batch1_lengths", LENGTHS);
        m.put("batch32x24_ms", Math.round(r.batchMs() * 100) / 100.0);
        m.put("utterances_per_s", Math.round(r.utterancesPerSecond() * 10) / 10.0);
        return m;
    }

    private static String label(boolean tt, int bits) {
        return tt ? (bits == 32 ? "TT FP32" : "TT INT" + bits) : "dense FP32";
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(b) || b <= 0 ? "-" : String.format(Locale.ROOT, "%.3f", a / b);
    }

    private static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
