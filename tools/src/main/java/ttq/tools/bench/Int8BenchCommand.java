package ttq.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.kernels.Blas;
import ttq.kernels.CpuFeatures;
import ttq.kernels.Int8Gemm;
import ttq.kernels.Int8Path;
import ttq.engine.GradMode;
import ttq.engine.Tensor;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.infer.IntTtLinear;
import ttq.model.infer.TtOrder;
import ttq.model.tt.TtLinear;

/**
 * {@code ttq bench int8}: our INT8 x INT8 -> INT32 product on every supported ISA path against
 * OpenBLAS sgemm on the same shapes, with PyTorch's INT8 linear (the peer script
 * ../shared/peers/torch_int8_linear.py, oneDNN) in the same run when available.
 */
@Command(name = "int8", mixinStandardHelpOptions = true,
        description = "INT8 kernels (each supported ISA path) vs OpenBLAS sgemm and PyTorch's INT8 linear, in GOP/s.")
public final class Int8BenchCommand implements Callable<Integer> {
    @Option(names = "--peer", defaultValue = "../shared/peers/torch_int8_linear.py",
            description = "PyTorch INT8 peer script (default ${DEFAULT-VALUE}); 'none' to skip.")
    String peer;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch (default ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--out", description = "Directory for bench-int8.csv/.json/.md.")
    Path out;

    private static final int ROW_MAJOR = 101;

    @Override
    public Integer call() throws Exception {
        Map<String, JsonNode> peerRows = runPeer(Map.of());
        // the peer again with oneDNN held to each slower ISA we force, so every row compares like with like
        Map<Int8Path, Map<String, JsonNode>> peerByPath = new java.util.EnumMap<>(Int8Path.class);
        for (Int8Path path : Int8Path.supportedPaths()) {
            String isa = ONEDNN_ISA.get(path);
            if (path != Int8Path.selected() && isa != null && !peerRows.isEmpty()) {
                peerByPath.put(path, runPeer(Map.of("ONEDNN_MAX_CPU_ISA", isa, "DNNL_MAX_CPU_ISA", isa)));
            }
        }
        BenchTable t = new BenchTable("ttq bench int8", List.of("tokens x in -> out", "path", "weights", "ttq INT8 GOP/s",
                "sgemm GFLOP/s", "INT8 / sgemm", "torch INT8 GOP/s", "ttq / torch INT8"));
        t.context("cpu features", String.join(" ", CpuFeatures.names()));
        t.context("selected path", Int8Path.selected() + " (" + Int8Path.selected().description() + ")");
        t.context("openblas", Blas.coreName() + ", " + Blas.threads() + " threads");
        t.context("peer", peerRows.isEmpty() ? "not run (" + peer + ")" : peerRows.values().iterator().next().get("peer").asText()
                + ", engine " + peerRows.values().iterator().next().get("engine").asText());
        t.context("shapes", "the ATIS model's dense shapes on 32 x 24 tokens (as the peer); ops = 2 * tokens * in * out");
        t.context("torch per row", "the selected path's rows against the peer as it runs; a forced slower path's rows against the peer"
                + " with oneDNN held to the same instructions (ONEDNN_MAX_CPU_ISA=" + String.join(" / ", ONEDNN_ISA.values()) + ")");
        t.context("weights", "'uniform': random bytes over all of [-128, 127] (the worst case); 'as peer': the peer's own weights,"
                + " nn.Linear's initialisation quantized at scale 0.01 (|w| <= " + peerWeightMax(768) + " at 768 inputs, <= "
                + peerWeightMax(3072) + " at 3072), which the AVX2 path multiplies with its byte kernel (|w| <= "
                + Int8Gemm.AVX2_NARROW_MAX + ", exact int16 sums); the other paths' speed does not depend on the values");
        t.context("measured", "best of 30 calls for all (as the peer): ttq int8 activations x prepacked int8 weight -> int32; torch its quantized"
                + " linear from float input (dynamic activation quantization, int32 accumulation, float output)");
        int[][] shapes = {{768, 768, 768}, {768, 768, 3072}, {768, 3072, 768}};
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            Random r = new Random(1);
            byte[] a = new byte[m * k], b = new byte[n * k];
            r.nextBytes(a);
            r.nextBytes(b);
            int[] c = new int[m * n];
            float[] fa = new float[m * k], fb = new float[k * n], fc = new float[m * n];
            for (int i = 0; i < fa.length; i++) {
                fa[i] = a[i];
            }
            for (int i = 0; i < fb.length; i++) {
                fb[i] = b[i];
            }
            double ops = 2.0 * m * k * n;
            double sgemmNs = Timing.quickMin(() -> Blas.sgemm(false, false, m, n, k, 1f, fa, 0, k, fb, 0, n, 0f, fc, 0, n), 20, 30);
            String key = m + "," + k + "," + n;
            byte[] bPeer = peerWeights(n, k, new Random(3));
            for (Int8Path path : Int8Path.supportedPaths()) {
                if (path == Int8Path.SCALAR) {
                    continue;
                }
                JsonNode p = peerByPath.getOrDefault(path, peerRows).get(key);
                double torchGops = p == null ? Double.NaN : p.get("int8_linear_gops").asDouble();
                for (boolean asPeer : path == Int8Path.AVX2 ? new boolean[] {false, true} : new boolean[] {false}) {
                    // the weight is packed once, as a model packs its layers at load time (the peer prepacks too)
                    Int8Gemm.Packed packed = Int8Gemm.pack(path, n, k, asPeer ? bPeer : b, 0, k);
                    double ns = Timing.quickMin(() -> Int8Gemm.gemm(packed, m, a, 0, k, c, 0, n), 50, 30);
                    double gops = ops / ns;
                    t.row(m + " x " + k + " -> " + n, path + (path == Int8Path.selected() ? " *" : ""),
                            (asPeer ? "as peer" : "uniform") + (packed.narrow() ? " (bytes)" : ""), f(gops, 1), f(ops / sgemmNs, 1),
                            f(sgemmNs / ns, 2), Double.isNaN(torchGops) ? "-" : f(torchGops, 1),
                            Double.isNaN(torchGops) ? "-" : f(gops / torchGops, 2));
                }
            }
        }
        System.out.print(t.format());
        BenchTable layers = ttLayers();
        System.out.print(layers.format());
        if (out != null) {
            t.write(out, "bench-int8");
            layers.write(out, "bench-int8-tt");
            System.out.println("wrote " + out.resolve("bench-int8{,-tt}.{csv,json,md}"));
        }
        return 0;
    }

    /** The integer TT layer forward against its FP32 forward (fake-quant weights, fused path) at the ATIS shapes. */
    private static BenchTable ttLayers() {
        BenchTable t = new BenchTable("integer TT layer forward vs FP32 forward (768 tokens, rank 10, INT8 weights and input)",
                List.of("layer", "FP32 forward ms", "INT8 forward ms", "FP32 / INT8"));
        int[][][] shapes = {{{24, 32}, {32, 24}}, {{48, 64}, {32, 24}}, {{32, 24}, {48, 64}}};
        String[] names = {"attention 768x768", "feed-forward 768->3072", "feed-forward 3072->768"};
        for (int i = 0; i < shapes.length; i++) {
            Random r = new Random(2);
            TtLinear layer = new TtLinear(shapes[i][0], shapes[i][1], 10, true, r)
                    .quantizeWeights(new LearnedScaleQuantizer(8)).quantizeInput(new LearnedScaleQuantizer(8));
            Tensor x = Tensor.normal(r, 1f, 768, layer.inFeatures());
            layer.eval();
            double fp, in8;
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                layer.forward(x); // initialises the scales
                IntTtLinear integer = new IntTtLinear(layer, TtOrder.AUTO);
                fp = Timing.quickMin(() -> layer.forward(x), 20, 30);
                in8 = Timing.quickMin(() -> integer.forward(x), 20, 30);
            }
            t.row(names[i], f(fp / 1e6, 3), f(in8 / 1e6, 3), f(fp / in8, 2));
        }
        return t;
    }

    /**
     * The peer's int8 weight: torch.nn.Linear's default initialisation, uniform in +-1/sqrt(in),
     * quantized per tensor at scale 0.01 (torch.quantize_per_tensor(w, 0.01, 0, qint8)).
     */
    static byte[] peerWeights(int n, int k, Random r) {
        double bound = 1.0 / Math.sqrt(k);
        byte[] w = new byte[n * k];
        for (int i = 0; i < w.length; i++) {
            double v = Math.rint((r.nextDouble() * 2 - 1) * bound / 0.01);
            w[i] = (byte) Math.max(-128, Math.min(127, v));
        }
        return w;
    }

    static int peerWeightMax(int k) {
        return (int) Math.rint(1.0 / Math.sqrt(k) / 0.01);
    }

    /** oneDNN's names for the instruction sets of our paths (its ONEDNN_MAX_CPU_ISA values). */
    private static final Map<Int8Path, String> ONEDNN_ISA = new java.util.EnumMap<>(Map.of(Int8Path.AVX2, "AVX2",
            Int8Path.AVX_VNNI, "AVX2_VNNI", Int8Path.AVX512_VNNI, "AVX512_CORE_VNNI"));

    private Map<String, JsonNode> runPeer(Map<String, String> env) throws Exception {
        Map<String, JsonNode> rows = new HashMap<>();
        for (JsonNode n : PeerScript.run(python, Path.of(peer), env, PeerScript.threads())) {
            JsonNode s = n.get("shape");
            rows.put(s.get(0).asInt() + "," + s.get(1).asInt() + "," + s.get(2).asInt(), n);
        }
        return rows;
    }

    private static String f(double v, int d) {
        return String.format(Locale.ROOT, "%." + d + "f", v);
    }
}
