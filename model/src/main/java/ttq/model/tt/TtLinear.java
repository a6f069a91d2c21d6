package ttq.model.tt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;
import ttq.engine.quant.LearnedScaleQuantizer;

/**
 * A linear layer y = W x + b whose weight W (M x N) lives in tensor-train format: 2d cores,
 * output modes first, G_k [r_{k-1}, m_k, r_k] (k &lt;= d) and G_{d+k} [r_{d+k-1}, n_k, r_{d+k}],
 * r_0 = r_{2d} = 1, W(i_1..i_d, j_1..j_d) = G_1[i_1] ... G_d[i_d] G_{d+1}[j_1] ... G_{2d}[j_d]
 * with row-major multi-indices. The forward contracts the input with the cores in a planned
 * order ({@link ContractionPlan}, cheapest by FLOPs for the batch size, or pinned); W is never
 * formed except by {@link #toDense()}.
 *
 * <p>Initialisation: core entries i.i.d. normal, scaled so the reconstructed W has the Glorot
 * variance 2 / (M + N).
 */
public final class TtLinear extends Module implements ttq.model.Layer {
    private final int[] outModes, inModes, ranks; // ranks: r_0..r_{2d}
    private final int m, n, d;
    private final Tensor[] cores;
    private final Tensor bias;
    private final Map<Integer, ContractionPlan> plans = new HashMap<>();
    private final Map<Integer, Boolean> fusedChoice = new HashMap<>();
    private String pinned;
    private Boolean fusedOverride;
    private ContractionPlan outPlan, inPlan;
    private LearnedScaleQuantizer weightQuantizer, inputQuantizer;

    /** A layer with the same rank on every bond. */
    public TtLinear(int[] outModes, int[] inModes, int rank, boolean withBias, Random random) {
        this(outModes, inModes, new int[] {rank}, withBias, random);
    }

    /** A layer with bond ranks r_1..r_{2d-1} (or one value for all). */
    public TtLinear(int[] outModes, int[] inModes, int[] bondRanks, boolean withBias, Random random) {
        this(outModes, inModes, bondRanks, withBias, random, null);
    }

    private TtLinear(int[] outModes, int[] inModes, int[] bondRanks, boolean withBias, Random random, List<Tensor> given) {
        TtShapes.checkModes("TtLinear out modes", outModes);
        TtShapes.checkModes("TtLinear in modes", inModes);
        if (outModes.length != inModes.length) {
            throw new IllegalArgumentException("TtLinear: " + outModes.length + " output modes but " + inModes.length
                    + " input modes (the TT format pairs them: d each)");
        }
        this.outModes = outModes.clone();
        this.inModes = inModes.clone();
        this.d = outModes.length;
        this.m = TtShapes.product(outModes);
        this.n = TtShapes.product(inModes);
        int[] bonds = TtShapes.bondRanks("TtLinear", bondRanks, 2 * d);
        this.ranks = new int[2 * d + 1];
        ranks[0] = 1;
        ranks[2 * d] = 1;
        System.arraycopy(bonds, 0, ranks, 1, bonds.length);
        this.cores = new Tensor[2 * d];
        double std = TtShapes.coreStd(2.0 / (m + n), bonds, 2 * d);
        for (int k = 0; k < 2 * d; k++) {
            int[] shape = {ranks[k], dim(k), ranks[k + 1]};
            Tensor init = given != null ? given.get(k) : TtShapes.normal(random, std, shape);
            if (!Arrays.equals(init.shape(), shape)) {
                throw new IllegalArgumentException("TtLinear: core " + k + " has shape " + Arrays.toString(init.shape())
                        + ", expected " + Arrays.toString(shape));
            }
            cores[k] = parameter("core" + k, init);
        }
        this.bias = withBias ? parameter("bias", Tensor.zeros(m)) : null;
    }

    /** A layer from given cores (shapes [r_{k-1}, dim_k, r_k], output-mode cores first), e.g. from TT-SVD or a file. */
    public static TtLinear fromCores(List<Tensor> cores, int[] outModes, int[] inModes, boolean withBias) {
        if (cores.size() != 2 * outModes.length) {
            throw new IllegalArgumentException("TtLinear: " + cores.size() + " cores for " + outModes.length
                    + " output and " + inModes.length + " input modes (needs " + 2 * outModes.length + ")");
        }
        int[] bonds = new int[cores.size() - 1];
        for (int k = 0; k < bonds.length; k++) {
            if (cores.get(k).rank() != 3) {
                throw new IllegalArgumentException("TtLinear: core " + k + " must be 3-D [r, dim, r'], got "
                        + Arrays.toString(cores.get(k).shape()));
            }
            bonds[k] = cores.get(k).dim(2);
        }
        List<Tensor> copies = new ArrayList<>();
        for (Tensor c : cores) {
            copies.add(c.copy());
        }
        return new TtLinear(outModes, inModes, bonds.length == 0 ? new int[] {1} : bonds, withBias, null, copies);
    }

    /**
     * Compresses a dense weight W [M, N] (y = W x) by TT-SVD, keeping at most {@code maxRank} on
     * every bond and dropping singular values under a relative tolerance {@code eps} (0: ranks
     * only); for post-training compression and for initialising a student from pretrained weights.
     * The cores are {@link TtDecomposition#balanced() balanced} so one shared quantizer scale fits them all.
     * The bias (may be null) is copied.
     */
    public static TtLinear fromDense(Tensor w, int[] outModes, int[] inModes, int maxRank, double eps, Tensor bias) {
        int[] caps = new int[2 * outModes.length - 1];
        java.util.Arrays.fill(caps, maxRank);
        TtDecomposition dec = TtSvd.tt(w, outModes, inModes, caps, eps).balanced();
        TtLinear layer = fromCores(dec.cores(), outModes, inModes, bias != null);
        if (bias != null) {
            if (bias.numel() != layer.m) {
                throw new IllegalArgumentException("TtLinear.fromDense: bias has " + bias.numel() + " values for " + layer.m + " outputs");
            }
            System.arraycopy(bias.data(), 0, layer.bias.data(), 0, layer.m);
        }
        return layer;
    }

    /** Mode size of core k: output modes for k < d, input modes after. */
    private int dim(int k) {
        return k < d ? outModes[k] : inModes[k - d];
    }

    /** Output width M = m_1 ... m_d. */
    public int outFeatures() {
        return m;
    }

    /** Input width N = n_1 ... n_d. */
    public int inFeatures() {
        return n;
    }

    /** Output modes m_1..m_d. */
    public int[] outModes() {
        return outModes.clone();
    }

    /** Input modes n_1..n_d. */
    public int[] inModes() {
        return inModes.clone();
    }

    /** TT ranks r_0..r_{2d} (r_0 = r_{2d} = 1). */
    public int[] ranks() {
        return ranks.clone();
    }

    /** The cores, output-mode cores first. */
    public List<Tensor> cores() {
        return List.of(cores);
    }

    /** Bias [M], or null without one. */
    public Tensor bias() {
        return bias;
    }

    /**
     * The network of one forward pass: tensor {@code x} [b, j1..jd] and cores {@code G1..G2d}
     * (boundary rank-1 axes dropped), output [b, i1..id].
     */
    public TensorNetwork network(int batch) {
        TensorNetwork.Builder nb = TensorNetwork.builder().size("b", batch);
        String[] xLabels = new String[d + 1];
        xLabels[0] = "b";
        String[] out = new String[d + 1];
        out[0] = "b";
        for (int k = 0; k < d; k++) {
            nb.size("i" + (k + 1), outModes[k]).size("j" + (k + 1), inModes[k]);
            xLabels[k + 1] = "j" + (k + 1);
            out[k + 1] = "i" + (k + 1);
        }
        for (int k = 1; k < 2 * d; k++) {
            nb.size("r" + k, ranks[k]);
        }
        nb.tensor("x", xLabels);
        for (int k = 0; k < 2 * d; k++) {
            nb.tensor("G" + (k + 1), coreLabels(k));
        }
        return nb.output(out).build();
    }

    private String[] coreLabels(int k) {
        String mode = k < d ? "i" + (k + 1) : "j" + (k - d + 1);
        List<String> ls = new ArrayList<>();
        if (k > 0) {
            ls.add("r" + k);
        }
        ls.add(mode);
        if (k < 2 * d - 1) {
            ls.add("r" + (k + 1));
        }
        return ls.toArray(new String[0]);
    }

    /**
     * Quantizes the cores in training: one learned scale shared by all cores of this layer (the
     * paper's choice), b bits. Call once, before training.
     */
    public TtLinear quantizeWeights(LearnedScaleQuantizer quantizer) {
        if (weightQuantizer != null) {
            throw new IllegalStateException("TtLinear: weights are already quantized");
        }
        weightQuantizer = module("weightQuantizer", quantizer);
        return this;
    }

    /** Quantizes the layer's input (8 bits in the paper) with its own scale. Call once, before training. */
    public TtLinear quantizeInput(LearnedScaleQuantizer quantizer) {
        if (inputQuantizer != null) {
            throw new IllegalStateException("TtLinear: the input is already quantized");
        }
        inputQuantizer = module("inputQuantizer", quantizer);
        return this;
    }

    /** Quantizer of the cores (shared scale), or null at FP32. */
    public LearnedScaleQuantizer weightQuantizer() {
        return weightQuantizer;
    }

    /** Quantizer of the input activations, or null when they stay FP32. */
    public LearnedScaleQuantizer inputQuantizer() {
        return inputQuantizer;
    }

    /** The cores as the forward uses them: fake-quantized when weight quantization is on. */
    private Tensor[] effectiveCores() {
        if (weightQuantizer == null) {
            return cores;
        }
        return weightQuantizer.forward(List.of(cores)).toArray(new Tensor[0]);
    }

    /** Core k as the network declares it (rank-1 boundary axes dropped): a view, no copy. */
    private Tensor coreView(Tensor[] source, int k) {
        Tensor c = source[k];
        if (k == 0 && k == 2 * d - 1) {
            return c.reshape(c.dim(1));
        }
        if (k == 0) {
            return c.reshape(c.dim(1), c.dim(2));
        }
        if (k == 2 * d - 1) {
            return c.reshape(c.dim(0), c.dim(1));
        }
        return c;
    }

    /** The contraction order used for a batch size: the pinned one, or the planner's choice (cached). */
    public ContractionPlan plan(int batch) {
        return plans.computeIfAbsent(batch, b -> pinned != null ? ContractionPlan.parse(network(b), pinned)
                : ContractionPlan.optimal(network(b)));
    }

    /** Pins an order for every batch size (spec over x, G1..G2d, e.g. "((x,G4),G3),(G1,G2)"); null returns to planning. */
    public void pin(String spec) {
        if (spec != null) {
            ContractionPlan.parse(network(1), spec); // validate now
        }
        pinned = spec;
        plans.clear();
        fusedChoice.clear();
    }

    /**
     * Forces the fused path on or off (null: automatic). The fused path contracts the output cores
     * into U [M, r_d] and the input cores into V [r_d, N], then runs {@link Ops#factoredLinear}:
     * the order "(x, input cores), output cores" with a hand-written backward and the bias folded
     * into the GEMMs. Automatic mode uses it when that order is a cheapest one and no order is pinned.
     */
    public void setFused(Boolean fused) {
        fusedOverride = fused;
    }

    /** Whether forward at this batch size takes the fused path. */
    public boolean usesFusedPath(int batch) {
        if (fusedOverride != null) {
            return fusedOverride;
        }
        if (pinned != null) {
            return false;
        }
        return fusedChoice.computeIfAbsent(batch, b -> fusedFlops(b) <= plan(b).flops() * (1 + 1e-9));
    }

    /** FLOPs of the fused order: building U and V, then the two bottleneck GEMMs. */
    public double fusedFlops(int batch) {
        return outPlan().flops() + inPlan().flops() + 2.0 * batch * n * ranks[d] + 2.0 * batch * ranks[d] * m;
    }

    /** Network contracting the output cores G1..Gd into U [i1..id, r_d]. */
    private ContractionPlan outPlan() {
        if (outPlan == null) {
            outPlan = ContractionPlan.optimal(halfNetwork(0, d));
        }
        return outPlan;
    }

    /** Network contracting the input cores G_{d+1}..G_{2d} into V [r_d, j1..jd]. */
    private ContractionPlan inPlan() {
        if (inPlan == null) {
            inPlan = ContractionPlan.optimal(halfNetwork(d, 2 * d));
        }
        return inPlan;
    }

    private TensorNetwork halfNetwork(int from, int to) {
        TensorNetwork.Builder nb = TensorNetwork.builder();
        List<String> out = new ArrayList<>();
        if (from > 0) {
            out.add("r" + from);
        }
        for (int k = from; k < to; k++) {
            String mode = k < d ? "i" + (k + 1) : "j" + (k - d + 1);
            nb.size(mode, dim(k));
            out.add(mode);
            nb.tensor("G" + (k + 1), coreLabels(k));
        }
        if (to < 2 * d) {
            out.add("r" + to);
        }
        for (int k = from; k <= to; k++) {
            if (k > 0 && k < 2 * d) {
                nb.size("r" + k, ranks[k]);
            }
        }
        return nb.output(out.toArray(new String[0])).build();
    }

    /** x [..., N] to y [..., M]. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, false);
    }

    /** GELU(x) [..., N] to y [..., M]; with a quantized input, GELU and the input quantizer run as one op. */
    @Override
    public Tensor forwardGelu(Tensor x) {
        return forward(x, true);
    }

    private Tensor forward(Tensor x, boolean gelu) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            if (gelu && (inputQuantizer == null || x.numel() == 0)) {
                x = x.gelu();
                gelu = false;
            }
            if (x.rank() < 1 || x.dim(-1) != n) {
                throw new IllegalArgumentException("TtLinear(" + n + "->" + m + "): input shape " + Arrays.toString(x.shape())
                        + " must end in " + n);
            }
            int[] lead = Arrays.copyOf(x.shape(), x.rank() - 1);
            int batch = x.numel() / n;
            int[] xShape = new int[d + 1];
            xShape[0] = batch;
            System.arraycopy(inModes, 0, xShape, 1, d);
            int[] outShape = Arrays.copyOf(lead, lead.length + 1);
            outShape[lead.length] = m;
            if (batch == 0) { // no rows: nothing to contract, and a network needs sizes >= 1
                Tensor empty = Tensor.zeros(outShape);
                return bias == null ? empty : empty.add(bias);
            }
            if (inputQuantizer != null) {
                x = gelu ? inputQuantizer.forwardGelu(x) : inputQuantizer.forward(x);
            }
            Tensor[] source = effectiveCores();
            if (usesFusedPath(batch)) {
                Tensor[] outCores = new Tensor[d], inCores = new Tensor[d];
                for (int k = 0; k < d; k++) {
                    outCores[k] = coreView(source, k);
                    inCores[k] = coreView(source, d + k);
                }
                Tensor u = outPlan().execute(outCores).reshape(m, ranks[d]);
                Tensor v = inPlan().execute(inCores).reshape(ranks[d], n);
                return Ops.factoredLinear(x.reshape(batch, n), v, u, bias).reshape(outShape);
            }
            Tensor[] inputs = new Tensor[2 * d + 1];
            inputs[0] = x.reshape(xShape);
            for (int k = 0; k < 2 * d; k++) {
                inputs[k + 1] = coreView(source, k);
            }
            Tensor y = plan(batch).execute(inputs).reshape(outShape);
            return bias == null ? y : y.add(bias);
        }
    }

    /** The dense W [M, N] (tests and debugging only). */
    public Tensor toDense() {
        TensorNetwork.Builder nb = TensorNetwork.builder();
        String[] out = new String[2 * d];
        for (int k = 0; k < d; k++) {
            nb.size("i" + (k + 1), outModes[k]).size("j" + (k + 1), inModes[k]);
            out[k] = "i" + (k + 1);
            out[d + k] = "j" + (k + 1);
        }
        for (int k = 1; k < 2 * d; k++) {
            nb.size("r" + k, ranks[k]);
        }
        Tensor[] inputs = new Tensor[2 * d];
        for (int k = 0; k < 2 * d; k++) {
            nb.tensor("G" + (k + 1), coreLabels(k));
            inputs[k] = coreView(cores, k);
        }
        return ContractionPlan.optimal(nb.output(out).build()).execute(inputs).reshape(m, n);
    }

    /** Parameters in the cores (bias excluded). */
    public long coreParameters() {
        long p = 0;
        for (Tensor c : cores) {
            p += c.numel();
        }
        return p;
    }
}
