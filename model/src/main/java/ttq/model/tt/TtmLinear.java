package ttq.model.tt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;
import ttq.engine.quant.LearnedScaleQuantizer;

/**
 * A linear layer y = W x + b with W (M x N) in tensor-train-matrix format: d cores
 * F_k [p_{k-1}, m_k, n_k, p_k] (m: output/row modes, n: input/column modes). The forward
 * contracts x [b, n_1..n_d] with the cores in a planned order. Initialisation: Glorot variance
 * 2 / (M + N) for the reconstructed W.
 */
public final class TtmLinear extends Module {
    private final TtmCores spec;
    private final Tensor[] cores;
    private final Tensor bias;
    private final Map<Integer, ContractionPlan> plans = new HashMap<>();
    private LearnedScaleQuantizer weightQuantizer;
    private String pinned;

    /** A TTM linear layer with the given modes and rank, optional bias, initialised from random. */
    public TtmLinear(int[] outModes, int[] inModes, int rank, boolean withBias, Random random) {
        this(outModes, inModes, new int[] {rank}, withBias, random, null);
    }

    private TtmLinear(int[] outModes, int[] inModes, int[] bondRanks, boolean withBias, Random random, List<Tensor> given) {
        this.spec = new TtmCores("TtmLinear", outModes, inModes, bondRanks);
        List<Tensor> init = given != null ? given : spec.init(random, 2.0 / (spec.rows + spec.cols));
        spec.check("TtmLinear", init);
        cores = new Tensor[spec.d];
        for (int k = 0; k < spec.d; k++) {
            cores[k] = parameter("core" + k, init.get(k));
        }
        bias = withBias ? parameter("bias", Tensor.zeros(spec.rows)) : null;
    }

    /** A layer from 4-D cores [p, m_k, n_k, p'] (copied). */
    public static TtmLinear fromCores(List<Tensor> cores, boolean withBias) {
        List<Tensor> copies = new ArrayList<>();
        for (Tensor c : cores) {
            copies.add(c.copy());
        }
        return new TtmLinear(TtmCores.modesOf(cores, 1), TtmCores.modesOf(cores, 2), TtmCores.bondsOf("TtmLinear", cores),
                withBias, null, copies);
    }

    /** Compresses a dense W [M, N] by TTM-SVD (ranks capped at maxRank, relative tolerance eps). */
    public static TtmLinear fromDense(Tensor w, int[] outModes, int[] inModes, int maxRank, double eps, boolean withBias) {
        int[] caps = new int[Math.max(0, outModes.length - 1)];
        java.util.Arrays.fill(caps, maxRank);
        return fromCores(TtSvd.ttm(w, outModes, inModes, caps.length == 0 ? null : caps, eps).balanced().cores(), withBias);
    }

    /** Output width M. */
    public int outFeatures() {
        return spec.rows;
    }

    /** Input width N. */
    public int inFeatures() {
        return spec.cols;
    }

    /** Quantizes the cores in training with one learned scale shared by all of them. Call once, before training. */
    public TtmLinear quantizeWeights(LearnedScaleQuantizer quantizer) {
        if (weightQuantizer != null) {
            throw new IllegalStateException("TtmLinear: weights are already quantized");
        }
        weightQuantizer = module("weightQuantizer", quantizer);
        return this;
    }

    /** Quantizer of the cores (shared scale), or null at FP32. */
    public LearnedScaleQuantizer weightQuantizer() {
        return weightQuantizer;
    }

    /** The cores as the forward uses them: fake-quantized when weight quantization is on. */
    private Tensor[] effectiveCores() {
        return weightQuantizer == null ? cores : weightQuantizer.forward(List.of(cores)).toArray(new Tensor[0]);
    }

    /** Cores F_1..F_d, each [p_{k-1}, m_k, n_k, p_k]. */
    public List<Tensor> cores() {
        return List.of(cores);
    }

    /** TTM ranks p_0..p_d. */
    public int[] ranks() {
        return spec.ranks.clone();
    }

    /** Network of one forward: x [b, j1..jd], F1..Fd, output [b, i1..id]. */
    public TensorNetwork network(int batch) {
        int d = spec.d;
        TensorNetwork.Builder nb = TensorNetwork.builder().size("b", batch);
        String[] x = new String[d + 1], out = new String[d + 1];
        x[0] = "b";
        out[0] = "b";
        for (int k = 0; k < d; k++) {
            nb.size("i" + (k + 1), spec.rowModes[k]).size("j" + (k + 1), spec.colModes[k]);
            x[k + 1] = "j" + (k + 1);
            out[k + 1] = "i" + (k + 1);
            if (k > 0) {
                nb.size("p" + k, spec.ranks[k]);
            }
        }
        nb.tensor("x", x);
        for (int k = 0; k < d; k++) {
            nb.tensor("F" + (k + 1), labels(k));
        }
        return nb.output(out).build();
    }

    private String[] labels(int k) {
        List<String> ls = new ArrayList<>();
        if (k > 0) {
            ls.add("p" + k);
        }
        ls.add("i" + (k + 1));
        ls.add("j" + (k + 1));
        if (k < spec.d - 1) {
            ls.add("p" + (k + 1));
        }
        return ls.toArray(new String[0]);
    }

    private Tensor view(Tensor[] source, int k) {
        int[] s = source[k].shape();
        List<Integer> dims = new ArrayList<>();
        if (k > 0) {
            dims.add(s[0]);
        }
        dims.add(s[1]);
        dims.add(s[2]);
        if (k < spec.d - 1) {
            dims.add(s[3]);
        }
        return source[k].reshape(dims.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The contraction plan a forward over batch rows uses. */
    public ContractionPlan plan(int batch) {
        return plans.computeIfAbsent(batch, b -> pinned != null ? ContractionPlan.parse(network(b), pinned)
                : ContractionPlan.optimal(network(b)));
    }

    /** Pins an order (spec over x, F1..Fd); null returns to planning. */
    public void pin(String specString) {
        if (specString != null) {
            ContractionPlan.parse(network(1), specString);
        }
        pinned = specString;
        plans.clear();
    }

    /** x [..., N] to y [..., M]. */
    public Tensor forward(Tensor x) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            int n = spec.cols, d = spec.d;
            if (x.rank() < 1 || x.dim(-1) != n) {
                throw new IllegalArgumentException("TtmLinear(" + n + "->" + spec.rows + "): input shape "
                        + Arrays.toString(x.shape()) + " must end in " + n);
            }
            int[] lead = Arrays.copyOf(x.shape(), x.rank() - 1);
            int batch = x.numel() / n;
            if (batch == 0) {
                int[] empty = Arrays.copyOf(lead, lead.length + 1);
                empty[lead.length] = spec.rows;
                return Tensor.zeros(empty);
            }
            int[] xs = new int[d + 1];
            xs[0] = batch;
            System.arraycopy(spec.colModes, 0, xs, 1, d);
            Tensor[] inputs = new Tensor[d + 1];
            inputs[0] = x.reshape(xs);
            Tensor[] source = effectiveCores();
            for (int k = 0; k < d; k++) {
                inputs[k + 1] = view(source, k);
            }
            int[] outShape = Arrays.copyOf(lead, lead.length + 1);
            outShape[lead.length] = spec.rows;
            Tensor y = plan(batch).execute(inputs).reshape(outShape);
            return bias == null ? y : y.add(bias);
        }
    }

    /** The dense weight [M, N] the cores represent (for tests and debugging; training never forms it). */
    public Tensor toDense() {
        return spec.toDense(cores);
    }
}
