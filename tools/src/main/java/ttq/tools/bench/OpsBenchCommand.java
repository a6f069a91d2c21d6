package ttq.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.engine.GradMode;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.optim.Adam;
import ttq.kernels.Blas;
import ttq.kernels.CpuFeatures;
import ttq.model.Mlp;
import ttq.tools.UsageException;

/**
 * {@code ttq bench ops}: engine sgemm against a direct OpenBLAS call on off-heap memory, the
 * per-op overhead of a tiny add, and a 2-layer MLP training step; with a PyTorch peer in the same
 * run when /usr/bin/python3 has torch.
 */
@Command(name = "ops", mixinStandardHelpOptions = true,
        description = "Engine sgemm vs direct OpenBLAS, tiny-op overhead, MLP step; PyTorch peer when available.")
public final class OpsBenchCommand implements Callable<Integer> {
    @Option(names = "--out", description = "Directory for bench-ops.csv/.json/.md (default: print only).")
    Path out;

    @Option(names = "--rounds", defaultValue = "30", description = "Timed repetitions per workload (median reported; default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch for the peer column (default ${DEFAULT-VALUE}); 'none' to skip.")
    String python;

    private static final int ROW_MAJOR = 101, NO_TRANS = 111;

    @Override
    public Integer call() throws Exception {
        if (rounds < 3) {
            throw new UsageException("--rounds must be at least 3, got " + rounds);
        }
        JsonNode torch = runTorchPeer();
        BenchTable t = new BenchTable("ttq bench ops", List.of("workload", "unit", "ttq", "openblas direct", "ttq/direct",
                "torch", "ttq/torch"));
        t.context("cpu features", String.join(" ", CpuFeatures.names()));
        t.context("openblas", Blas.coreName() + ", " + Blas.threads() + " threads");
        t.context("ratios", "ttq time / peer time (1.00 = equal, below 1 = ttq faster)");
        t.context("peer", torch == null ? "PyTorch not available (" + python + ")"
                : "PyTorch " + torch.get("torch").asText() + ", " + torch.get("threads").asInt() + " threads");

        sgemmRow(t, 768, 768, 768, torch == null ? Double.NaN : torch.get("sgemm_768_ns").asDouble());
        sgemmRow(t, 768, 3072, 768, torch == null ? Double.NaN : torch.get("sgemm_768x3072_ns").asDouble());
        tinyAddRows(t, torch);
        mlpRow(t, torch == null ? Double.NaN : torch.get("mlp_step_ns").asDouble());

        System.out.print(t.format());
        if (out != null) {
            t.write(out, "bench-ops");
            System.out.println("wrote " + out.resolve("bench-ops.{csv,json,md}"));
        }
        return 0;
    }

    private void sgemmRow(BenchTable t, int m, int n, int k, double torchNs) {
        Random r = new Random(1);
        Tensor a = Tensor.normal(r, 1f, m, k), b = Tensor.normal(r, 1f, k, n);
        FloatPointer pa = new FloatPointer(a.data()), pb = new FloatPointer(b.data()), pc = new FloatPointer((long) m * n);
        Tensor c = Tensor.zeros(m, n);
        double flops = 2.0 * m * n * k;
        double[] alloc, into;
        Runnable direct = () -> openblas_nolapack.cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, 1f, pa, k, pb, n, 0f, pc, n);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            into = Timing.medianPair(() -> Ops.matmul(a, b, c), direct, 5, rounds);
            alloc = Timing.medianPair(() -> a.matmul(b), direct, 5, rounds);
        }
        pa.close();
        pb.close();
        pc.close();
        String name = "sgemm (" + m + "x" + k + ")x(" + k + "x" + n + ")";
        t.row(name + " Ops.matmul(a,b,out)", "GFLOP/s", gflops(flops, into[0]), gflops(flops, into[1]), ratio(into[0], into[1]),
                Double.isNaN(torchNs) ? "-" : gflops(flops, torchNs), ratio(into[0], torchNs));
        t.row(name + " a.matmul(b), new output", "GFLOP/s", gflops(flops, alloc[0]), gflops(flops, alloc[1]), ratio(alloc[0], alloc[1]),
                Double.isNaN(torchNs) ? "-" : gflops(flops, torchNs), ratio(alloc[0], torchNs));
    }

    private void tinyAddRows(BenchTable t, JsonNode torch) {
        Tensor x = Tensor.scalar(1f), y = Tensor.scalar(2f);
        int reps = 10_000;
        double plain;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            plain = Timing.median(() -> {
                for (int i = 0; i < reps; i++) {
                    x.add(y);
                }
            }, 20, rounds) / reps;
        }
        Tensor xg = Tensor.scalar(1f).requiresGrad(true), yg = Tensor.scalar(2f).requiresGrad(true);
        double recorded = Timing.median(() -> {
            for (int i = 0; i < reps; i++) {
                xg.add(yg);
            }
        }, 20, rounds) / reps;
        double tp = torch == null ? Double.NaN : torch.get("tiny_add_ns").asDouble();
        double tg = torch == null ? Double.NaN : torch.get("tiny_add_grad_ns").asDouble();
        t.row("tiny add [1]+[1], no grad", "ns/op", fmt(plain, 0), "-", "-", Double.isNaN(tp) ? "-" : fmt(tp, 0), ratio(plain, tp));
        t.row("tiny add [1]+[1], recording graph", "ns/op", fmt(recorded, 0), "-", "-", Double.isNaN(tg) ? "-" : fmt(tg, 0), ratio(recorded, tg));
    }

    private void mlpRow(BenchTable t, double torchNs) {
        Mlp mlp = new Mlp(768, 3072, 768, 0f, 7);
        Adam opt = new Adam(mlp.parameters(), 1e-3f);
        Random r = new Random(3);
        Tensor x = Tensor.normal(r, 1f, 64, 768), target = Tensor.normal(r, 1f, 64, 768);
        double ns = Timing.median(() -> {
            opt.zeroGrad();
            Tensor loss = Ops.mse(mlp.forward(x), target);
            loss.backward();
            opt.step();
        }, 5, rounds);
        t.row("MLP 768-3072-768 train step, batch 64 (fwd+bwd+Adam)", "ms", fmt(ns / 1e6, 2), "-", "-",
                Double.isNaN(torchNs) ? "-" : fmt(torchNs / 1e6, 2), ratio(ns, torchNs));
    }

    private JsonNode runTorchPeer() throws IOException, InterruptedException {
        if ("none".equals(python) || !Files.isExecutable(Path.of(python))) {
            return null;
        }
        Path script = Files.createTempFile("ttq-torch-ops", ".py");
        try (InputStream in = OpsBenchCommand.class.getResourceAsStream("/peers/torch_ops_bench.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            List<JsonNode> rows = PeerScript.run(python, script, PeerScript.threads());
            return rows.isEmpty() ? null : rows.get(rows.size() - 1);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    private static String gflops(double flops, double ns) {
        return fmt(flops / ns, 1);
    }

    private static String ratio(double ttqNs, double peerNs) {
        return Double.isNaN(peerNs) ? "-" : fmt(ttqNs / peerNs, 2);
    }

    private static String fmt(double v, int digits) {
        return String.format(java.util.Locale.ROOT, "%." + digits + "f", v);
    }
}
