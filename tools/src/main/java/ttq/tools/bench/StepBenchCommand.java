package ttq.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
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
import ttq.engine.profile.ProfileReport;
import ttq.engine.profile.Profiler;
import ttq.kernels.Blas;
import ttq.kernels.Parallel;
import ttq.model.train.StepProfiler;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;
import ttq.tools.UsageException;

/**
 * {@code ttq bench step}: one training step (forward, backward, Adam) and one inference forward of
 * the ATIS model on batch 32 x 24, dense, TT (FP32) and TT INT8 QAT (as {@code train --bits 8}),
 * at each thread count, beside ../shared/peers/torch_atis_step.py (the same model in PyTorch) run
 * {@code --peer-runs} times in the same call at the same thread count, its fastest run taken as the
 * reference (its step swings by up to 2x from run to run). {@code --profile N} records N more steps
 * of each model and writes the profile under {@code --out}.
 */
@Command(name = "step", mixinStandardHelpOptions = true,
        description = "ATIS model train step and inference time, dense, TT and TT INT8, vs PyTorch (torch_atis_step.py).")
public final class StepBenchCommand implements Callable<Integer> {
    @Option(names = "--peer", defaultValue = "../shared/peers/torch_atis_step.py", description = "PyTorch peer script (default ${DEFAULT-VALUE}); 'none' to skip.")
    String peer;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch (default ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--peer-runs", defaultValue = "3", description = "Peer runs per thread count; the fastest is the reference (default ${DEFAULT-VALUE}).")
    int peerRuns;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu (the CUDA backend is not built yet).")
    String device;

    @Option(names = "--threads", split = ",", description = "Thread counts to run (default: 1 and all cores).")
    List<Integer> threads;

    @Option(names = "--models", split = ",", defaultValue = "dense,tt,tt-int8", description = "Models (default ${DEFAULT-VALUE}).")
    List<String> models;

    @Option(names = "--steps", defaultValue = "10", description = "Timed steps; the median is reported (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "10", description = "Untimed steps first, at least (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--warmup-seconds", defaultValue = "6", description = "...and at least this long: on 2 cores the JIT compiler"
            + " competes with the step for a minute of steps, and the step time swings until it is done (default ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--profile", defaultValue = "0", description = "Also profile this many steps of each model (at the most threads) into --out/profile-MODEL/.")
    int profile;

    @Option(names = "--out", description = "Directory for bench-step.csv/.json/.md (and the profiles).")
    Path out;

    private static final int B = 32, L = 24, V = 800, NI = 26, NS = 130;
    /** Per interleaved round and model: untimed steps first, then timed ones. */
    private static final int RESETTLE = 5, TIMED = 5;

    @Override
    public Integer call() throws Exception {
        if (!device.equals("cpu")) {
            throw new UsageException("--device " + device + ": only cpu is available (no CUDA backend in this build)");
        }
        UsageException.require(steps >= 3, "--steps must be at least 3");
        UsageException.require(warmup >= 0 && warmupSeconds >= 0, "--warmup and --warmup-seconds must be >= 0");
        UsageException.require(peerRuns >= 1, "--peer-runs must be at least 1");
        UsageException.require(profile >= 0, "--profile must be >= 0");
        UsageException.require(profile == 0 || out != null, "--profile needs --out (the folder the profiles are written to)");
        for (String m : models) {
            UsageException.require(List.of("dense", "tt", "tt-int8").contains(m), "--models: unknown model '" + m + "' (dense, tt, tt-int8)");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        List<Integer> counts = threads != null ? threads : cores > 1 ? List.of(1, cores) : List.of(1);
        for (int n : counts) {
            UsageException.require(n >= 1 && n <= cores, "--threads " + n + ": must be in 1.." + cores + " (the cores of this machine)");
        }
        int most = counts.stream().mapToInt(Integer::intValue).max().orElse(1);
        ObjectMapper json = new ObjectMapper();
        BenchTable t = new BenchTable("ttq bench step (ATIS model, batch " + B + " x " + L + ")",
                List.of("threads", "model", "params", "ttq train step ms", "torch train step ms", "ttq/torch train", "ttq infer ms",
                        "torch infer ms", "ttq/torch infer", "train speed-up vs 1 thread", "train vs FP32 TT"));
        String dropped = System.getenv("TTQ_DROPPED_OPENBLAS_CORETYPE"), forced = System.getenv("OPENBLAS_CORETYPE");
        t.context("machine", cores + " cores; OpenBLAS " + Blas.coreName() + (forced != null ? " (forced by OPENBLAS_CORETYPE)"
                : dropped != null ? " (detected; OPENBLAS_CORETYPE=" + dropped + " from the environment dropped: the CPU has AVX-512)" : " (detected)")
                + ", single-threaded: ttq splits products over its workers");
        t.context("model", "as the peer: 2 post-LN blocks, hidden 768, 12 heads, FFN 3072, vocab 800, 26 intents, 130 slot tags,"
                + " no dropout; TT rank 10, TTM embedding rank 30; tt-int8: INT8 fake-quantized TT cores, layer inputs and attention"
                + " (as train --bits 8)");
        t.context("timing", "ttq: median of " + steps + " steps per model after at least " + warmup + " warm-up steps and " + warmupSeconds
                + " s, the models timed in interleaved rounds of " + RESETTLE + " untimed and " + TIMED + " timed steps; torch: the fastest of " + peerRuns
                + " runs of the peer (each reports its median of 6 steps)");
        Map<String, Double> oneThread = new HashMap<>();
        String peerName = null;
        for (int n : counts) {
            Parallel.setThreads(n);
            Map<String, double[]> peerBest = new HashMap<>();
            for (int run = 0; run < peerRuns; run++) {
                for (JsonNode p : PeerScript.run(python, Path.of(peer), String.valueOf(n))) {
                    peerName = p.get("peer").asText();
                    double[] best = peerBest.computeIfAbsent(p.get("model").asText(), k -> new double[] {Double.MAX_VALUE, Double.MAX_VALUE});
                    best[0] = Math.min(best[0], p.get("train_step_ms").asDouble());
                    best[1] = Math.min(best[1], p.get("infer_ms").asDouble());
                }
            }
            double[] limits = machineLimits();
            t.context("limits at " + n + " thread" + (n > 1 ? "s" : ""), String.format(Locale.ROOT,
                    "sgemm %.0f GFLOP/s (768 x 768 x 3072, the FFN's shape); memory %.1f GB/s (triad a = b + s c over 3 x 64 MB)",
                    limits[0], limits[1]));
            Double fp32Tt = null;
            // every model warmed, then timed in interleaved rounds, so that a ratio between models does not
            // carry the VM's drift from one minute to the next: per round and model, RESETTLE untimed steps
            // (the other models' steps have evicted this one's data from the caches) and then up to TIMED timed ones
            List<Bench> benches = new ArrayList<>();
            for (String model : models) {
                Bench b = new Bench(model);
                warm(b::trainStep);
                benches.add(b);
            }
            long[][] times = new long[benches.size()][steps];
            for (int done = 0, round = 0; done < steps; done += TIMED, round++) {
                for (int j = 0; j < benches.size(); j++) {
                    int at = (j + round) % benches.size();
                    for (int k = 0; k < RESETTLE; k++) {
                        benches.get(at).trainStep();
                    }
                    for (int k = done; k < Math.min(steps, done + TIMED); k++) {
                        long t0 = System.nanoTime();
                        benches.get(at).trainStep();
                        times[at][k] = System.nanoTime() - t0;
                    }
                }
            }
            for (int at = 0; at < benches.size(); at++) {
                String model = models.get(at);
                Bench b = benches.get(at);
                double train = Timing.median(times[at]) / 1e6;
                double infer = b.inferMs(this::warm, steps);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("peer", "ttq");
                row.put("threads", n);
                row.put("model", model);
                row.put("batch", B);
                row.put("seq", L);
                row.put("params", b.model.parameterCount());
                row.put("train_step_ms", Math.round(train * 100) / 100.0);
                row.put("infer_ms", Math.round(infer * 100) / 100.0);
                row.put("tokens_per_s_train", Math.round(B * L / (train / 1e3)));
                System.out.println(json.writeValueAsString(row));
                double[] p = peerBest.get(model);
                if (n == 1) {
                    oneThread.put(model, train);
                }
                if (model.equals("tt")) {
                    fp32Tt = train;
                }
                Double single = oneThread.get(model);
                t.row(String.valueOf(n), model, String.valueOf(b.model.parameterCount()), f(train), p == null ? "-" : f(p[0]),
                        p == null ? "-" : f(train / p[0]), f(infer), p == null ? "-" : f(p[1]), p == null ? "-" : f(infer / p[1]),
                        single == null || n == 1 ? "-" : f(single / train),
                        model.equals("tt-int8") && fp32Tt != null ? f(train / fp32Tt) : "-");
                if (profile > 0 && n == most) {
                    Path dir = out.resolve("profile-" + model);
                    // a discarded profile first: turning the hooks on sends compiled code back to the interpreter
                    // once, and the recorded steps should not pay for that
                    Profiler.record(b.model, () -> {
                        for (int i = 0; i < StepProfiler.HOOK_WARMUP_STEPS; i++) {
                            b.trainStep();
                        }
                    });
                    long t0 = System.nanoTime();
                    ProfileReport r = Profiler.record(b.model, () -> {
                        for (int i = 0; i < profile; i++) {
                            b.trainStep();
                        }
                    });
                    double profiled = (System.nanoTime() - t0) / 1e6 / profile;
                    double plain = Timing.quickMedian(b::trainStep, 0, profile) / 1e6;
                    System.out.printf(Locale.ROOT, "profiled %s steps: %.2f ms each (the profile accounts %.2f); unprofiled right after: %.2f ms%n",
                            model, profiled, r.totalMs() / profile, plain);
                    r.write(dir, profile, "ttq bench step: " + model + " train step, " + n + " threads, batch " + B + " x " + L);
                    System.out.println("wrote " + dir.resolve("profile.{md,csv}") + " and trace.json");
                }
            }
        }
        Parallel.setThreads(cores);
        t.context("peer", peerName == null ? "not run (" + peer + ")" : peerName);
        System.out.print(t.format());
        if (out != null) {
            t.write(out, "bench-step");
            System.out.println("wrote " + out.resolve("bench-step.{csv,json,md}"));
        }
        return 0;
    }

    /**
     * This machine's limits at the current thread count, measured here: sgemm GFLOP/s (fastest of 10
     * products of the dense FFN's shape) and memory bandwidth in GB/s (fastest of 10 triads over
     * three 64 MB arrays, counting 12 bytes an element as STREAM does).
     */
    static double[] machineLimits() {
        int m = 768, k = 768, n = 3072;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        java.util.Arrays.fill(a, 0.5f);
        java.util.Arrays.fill(b, 0.25f);
        double gemm = Timing.quickMin(() -> Blas.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n), 3, 10);
        int len = 16 << 20;
        float[] x = new float[len], y = new float[len], z = new float[len];
        java.util.Arrays.fill(y, 1f);
        java.util.Arrays.fill(z, 2f);
        double triad = Timing.quickMin(() -> Parallel.forRange(len, (from, to) -> {
            for (int i = from; i < to; i++) {
                x[i] = y[i] + 3f * z[i];
            }
        }), 3, 10);
        return new double[] {2.0 * m * n * k / gemm, 12.0 * len / triad};
    }

    private void warm(Runnable step) {
        long end = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < warmup || System.nanoTime() < end; i++) {
            step.run();
        }
    }

    /** One model with its optimizer and a fixed random batch. */
    private static final class Bench {
        final JointIntentSlotModel model;
        final Adam opt;
        final int[] ids = new int[B * L], slots = new int[B * L], intents = new int[B];
        final float[] mask = new float[B * L];

        Bench(String name) {
            boolean tt = !name.equals("dense");
            TransformerConfig c = TransformerConfig.atisTable1(V, NI, NS, tt ? "tt" : "dense", name.equals("tt-int8") ? 8 : 32, 64, 0f);
            model = new JointIntentSlotModel(c, 1);
            opt = new Adam(model.parameters(), 1e-3f, 0.9f, 0.98f, 1e-8f, 0f);
            Random r = new Random(2);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = 1 + r.nextInt(V - 1);
                slots[i] = r.nextInt(NS);
                mask[i] = 1f;
            }
            for (int i = 0; i < B; i++) {
                intents[i] = r.nextInt(NI);
            }
        }

        /** Zero gradients, forward, loss, backward, Adam: the sections a Trainer step has. */
        void trainStep() {
            try (Profiler.Scope s = Profiler.section("zero gradients")) {
                opt.zeroGrad();
            }
            StepScope step = StepScope.open();
            try {
                Tensor loss = model.loss(model.forward(ids, mask, B, L), intents, slots);
                loss.backward();
                try (Profiler.Scope s = Profiler.section("optimizer")) {
                    opt.step();
                }
            } finally {
                try (Profiler.Scope s = Profiler.section("release step memory")) {
                    step.close();
                }
            }
        }

        double inferMs(java.util.function.Consumer<Runnable> warm, int steps) {
            model.eval();
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                Runnable forward = () -> {
                    try (StepScope step = StepScope.open()) {
                        model.forward(ids, mask, B, L);
                    }
                };
                warm.accept(forward);
                return Timing.quickMedian(forward, 0, steps) / 1e6;
            } finally {
                model.train(true);
            }
        }
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
