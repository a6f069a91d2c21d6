package ttq.tools.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.engine.GradMode;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.kernels.Blas;
import ttq.kernels.CpuFeatures;
import ttq.kernels.SkinnyGemm;
import ttq.model.Linear;
import ttq.model.tt.TtLinear;

/**
 * {@code ttq bench tt}: forward+backward time of TtLinear against the dense layer of the same
 * shape at the paper's shapes, with the FLOPs ratio beside the measured speed-up.
 */
@Command(name = "tt", mixinStandardHelpOptions = true,
        description = "TtLinear vs dense Linear at the paper's shapes: forward+backward time, speed-up vs FLOPs ratio.")
public final class TtBenchCommand implements Callable<Integer> {
    @Option(names = "--tokens", defaultValue = "768", description = "Rows of the input: batch x sequence (default ${DEFAULT-VALUE} = 32 x 24).")
    int tokens;

    @Option(names = "--rank", defaultValue = "10", description = "TT rank (default ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--out", description = "Directory for bench-tt.csv/.json/.md.")
    Path out;

    @Override
    public Integer call() throws Exception {
        BenchTable t = new BenchTable("ttq bench tt", List.of("layer", "pass", "dense ms", "TT ms", "speed-up",
                "FLOPs ratio", "speed-up / FLOPs ratio", "TT order"));
        t.context("tokens", tokens + ", TT rank " + rank + ", bias on both");
        t.context("openblas", Blas.coreName() + ", " + Blas.threads() + " threads");
        t.context("TT kernels", SkinnyGemm.path() + " (CPU: " + String.join(" ", CpuFeatures.names()) + ")");
        t.context("memory", "each step inside a StepScope (outputs reuse the previous step's arrays), dense and TT alike");
        t.context("FLOPs ratio", "dense FLOPs / TT FLOPs of the chosen order (forward; backward scales both by ~3)");
        t.context("target", "speed-up >= 0.5 x FLOPs ratio for forward+backward");
        t.context("timing", "each layer in phases of its own (dense, TT, dense, TT): collected heap, 3 s warm-up, median over >= 2 s; mean of the two phases");
        row(t, "attention 768x768", new int[] {24, 32}, new int[] {32, 24});
        row(t, "feed-forward 768->3072", new int[] {48, 64}, new int[] {32, 24});
        System.out.print(t.format());
        if (out != null) {
            t.write(out, "bench-tt");
            System.out.println("wrote " + out.resolve("bench-tt.{csv,json,md}"));
        }
        return 0;
    }

    private void row(BenchTable t, String name, int[] outModes, int[] inModes) {
        Random r = new Random(1);
        TtLinear tt = new TtLinear(outModes, inModes, rank, true, r);
        int n = tt.inFeatures(), m = tt.outFeatures();
        Linear dense = new Linear(n, m, true, r);
        Tensor x = Tensor.normal(r, 1f, tokens, n).requiresGrad(true);
        Tensor gy = Tensor.normal(r, 1f, tokens, m);
        double denseFlops = 2.0 * tokens * n * m;
        double ttFlops = tt.usesFusedPath(tokens) ? tt.fusedFlops(tokens) : tt.plan(tokens).flops();
        String order = tt.plan(tokens).spec() + (tt.usesFusedPath(tokens) ? " (fused)" : "");
        // both layers run inside a StepScope, as a training step does: outputs reuse the memory of the previous step's
        Runnable denseStep = () -> {
            dense.zeroGrad();
            x.zeroGrad();
            try (StepScope ignored = StepScope.open()) {
                dense.forward(x).backward(gy);
            }
        };
        Runnable ttStep = () -> {
            tt.zeroGrad();
            x.zeroGrad();
            try (StepScope ignored = StepScope.open()) {
                tt.forward(x).backward(gy);
            }
        };
        double[] fb = phases(denseStep, ttStep);
        double[] f;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            f = phases(() -> {
                try (StepScope s = StepScope.open()) {
                    dense.forward(x);
                }
            }, () -> {
                try (StepScope s = StepScope.open()) {
                    tt.forward(x);
                }
            });
        }
        double ratio = denseFlops / ttFlops;
        t.row(name, "forward+backward", fmt(fb[0] / 1e6, 3), fmt(fb[1] / 1e6, 3), fmt(fb[0] / fb[1], 1), fmt(ratio, 1),
                fmt(fb[0] / fb[1] / ratio, 2), order);
        t.row(name, "forward", fmt(f[0] / 1e6, 3), fmt(f[1] / 1e6, 3), fmt(f[0] / f[1], 1), fmt(ratio, 1),
                fmt(f[0] / f[1] / ratio, 2), order);
    }

    /**
     * Each workload timed in phases of its own (collected heap, warm-up, median over >= 2 s), in the
     * order A, B, A, B; each result is the mean of its two phases. Interleaving single calls would
     * charge one layer for the other's garbage and cache churn, which a network of TT layers does not have.
     */
    private static double[] phases(Runnable a, Runnable b) {
        double ta = 0, tb = 0;
        for (int trial = 0; trial < 2; trial++) {
            ta += Timing.median(a, 5, 20) / 2;
            tb += Timing.median(b, 5, 20) / 2;
        }
        return new double[] {ta, tb};
    }

    private static String fmt(double v, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }
}
