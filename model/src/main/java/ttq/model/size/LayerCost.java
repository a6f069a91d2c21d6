package ttq.model.size;

import java.util.List;
import java.util.Random;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.model.tt.ContractionPlan;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;
import ttq.model.tt.TtmLinear;

/**
 * Parameters, bytes and forward FLOPs of one {@link LayerSpec}, summed over its {@code count}
 * copies, for a forward pass over {@code tokens} rows.
 *
 * <p>Compressed layers are measured on the real layer objects ({@link TtLinear}, {@link TtmLinear},
 * {@link TtmEmbedding}, built with a fixed seed): core sizes and ranks from the cores, bias from
 * {@link Module#parameterCount()}, and FLOPs of the order the layer executes for that batch (TT:
 * {@link TtLinear#fusedFlops} when it takes the fused path, else its planned order; TTM: its plan;
 * TTM embedding: the plan contracting the gathered core slices of each token). Dense layers and
 * tables are counted arithmetically (building them would only allocate the matrix): in * out
 * weights and 2 * tokens * in * out FLOPs; embeddings and OTHER cost no FLOPs. Bias additions are
 * not counted.
 *
 * <p>Bytes: non-quantized parameters take 4 bytes each; a quantized layer stores each weight tensor
 * (core) packed, ceil(elements * bits / 8) bytes, plus one 4-byte scale per layer shared by its
 * cores (the paper's layer-wise scale); biases stay FP32.
 *
 * <p>Quantized FLOPs ({@link #quantizedFlops}): the paper's rule, an m-bit by n-bit product costs
 * mn/64 operations; a quantized layer's FLOPs are scaled by {@link Precision#flopFactor()} (b-bit
 * weights, INT8 activations, applied to every contraction of the layer, including core-core
 * products of the fused path); layers kept in FP32 count plain FLOPs.
 */
public final class LayerCost {
    /** Seed of the layers built for measuring (values never depend on it). */
    public static final long SEED = 20240607L;

    private final LayerSpec spec;
    private final int tokens;
    private final int[] ranks;
    private final long[] tensorElements; // weight tensors of one copy
    private final long weights, bias; // one copy
    private final double flops; // one copy
    private final String order;

    private LayerCost(LayerSpec spec, int tokens, int[] ranks, long[] tensorElements, long bias, double flops, String order) {
        this.spec = spec;
        this.tokens = tokens;
        this.ranks = ranks;
        this.tensorElements = tensorElements;
        long w = 0;
        for (long e : tensorElements) {
            w += e;
        }
        this.weights = w;
        this.bias = bias;
        this.flops = flops;
        this.order = order;
    }

    /** Measures a layer for a forward over {@code tokens} rows (tokens >= 1). */
    public static LayerCost of(LayerSpec spec, int tokens) {
        if (tokens < 1) {
            throw new IllegalArgumentException("tokens must be >= 1, got " + tokens);
        }
        Random random = new Random(SEED);
        switch (spec.kind()) {
            case TT -> {
                TtLinear l = new TtLinear(spec.outModes(), spec.inModes(), spec.rank(), spec.bias(), random);
                boolean fused = l.usesFusedPath(tokens);
                ContractionPlan plan = l.plan(tokens);
                return new LayerCost(spec, tokens, l.ranks(), sizes(l.cores()), l.parameterCount() - l.coreParameters(),
                        fused ? l.fusedFlops(tokens) : plan.flops(), fused ? "fused ((x,V),U)" : plan.spec());
            }
            case TTM -> {
                TtmLinear l = new TtmLinear(spec.outModes(), spec.inModes(), spec.rank(), spec.bias(), random);
                long[] sizes = sizes(l.cores());
                ContractionPlan plan = l.plan(tokens);
                return new LayerCost(spec, tokens, l.ranks(), sizes, l.parameterCount() - sum(sizes), plan.flops(), plan.spec());
            }
            case TTM_EMBEDDING -> {
                TtmEmbedding e = new TtmEmbedding(spec.in(), spec.inModes(), spec.outModes(), spec.rank(), random);
                long[] sizes = sizes(e.cores());
                ContractionPlan plan = e.plan(tokens);
                return new LayerCost(spec, tokens, e.ranks(), sizes, e.parameterCount() - sum(sizes), plan.flops(), plan.spec());
            }
            case DENSE -> {
                return new LayerCost(spec, tokens, new int[0], new long[] {(long) spec.in() * spec.out()},
                        spec.bias() ? spec.out() : 0, 2.0 * tokens * spec.in() * spec.out(), "dense");
            }
            case DENSE_EMBEDDING -> {
                return new LayerCost(spec, tokens, new int[0], new long[] {(long) spec.in() * spec.out()}, 0, 0, "lookup");
            }
            case OTHER -> {
                return new LayerCost(spec, tokens, new int[0], new long[] {spec.params()}, 0, 0, "-");
            }
            default -> throw new IllegalStateException(spec.kind().toString());
        }
    }

    private static long[] sizes(List<Tensor> cores) {
        long[] s = new long[cores.size()];
        for (int k = 0; k < s.length; k++) {
            s[k] = cores.get(k).numel();
        }
        return s;
    }

    private static long sum(long[] v) {
        long s = 0;
        for (long x : v) {
            s += x;
        }
        return s;
    }

    /** The layer measured. */
    public LayerSpec spec() {
        return spec;
    }

    /** Rows of the forward the FLOPs are counted for. */
    public int tokens() {
        return tokens;
    }

    /** Ranks of the built layer (r_0..r_end, boundary 1s included); empty for dense kinds. */
    public int[] ranks() {
        return ranks.clone();
    }

    /** Elements of each weight tensor (cores, or the one matrix) of one copy. */
    public long[] tensorElements() {
        return tensorElements.clone();
    }

    /** Weights (cores or matrix; OTHER: its parameters) over all copies, biases excluded. */
    public long params() {
        return weights * spec.count();
    }

    /** Bias parameters over all copies. */
    public long biasParams() {
        return bias * spec.count();
    }

    /** {@link #params()} + {@link #biasParams()}. */
    public long totalParams() {
        return params() + biasParams();
    }

    /** Parameters stored at the model precision (the weights of quantized layers). */
    public long quantizedParams() {
        return spec.quantized() ? params() : 0;
    }

    /** Parameters of the same layer uncompressed: in * out (+ out bias) for linears, vocabulary * hidden for tables. */
    public long denseParams() {
        long one = switch (spec.kind()) {
            case DENSE, TT, TTM -> (long) spec.in() * spec.out() + (spec.bias() ? spec.out() : 0);
            case DENSE_EMBEDDING, TTM_EMBEDDING -> (long) spec.in() * spec.out();
            case OTHER -> spec.params();
        };
        return one * spec.count();
    }

    /** Bytes at a precision over all copies (quantized weights packed plus one scale per copy; the rest 4 bytes each). */
    public long bytes(Precision p) {
        long one;
        if (spec.quantized() && p.isQuantized()) {
            one = 4; // the layer's learned scale
            for (long e : tensorElements) {
                one += p.packedBytes(e);
            }
        } else {
            one = 4 * weights;
        }
        return (one + 4 * bias) * spec.count();
    }

    /** Bytes of the uncompressed FP32 layer: 4 * {@link #denseParams()}. */
    public long denseBytes() {
        return 4 * denseParams();
    }

    /** Forward FLOPs in the executed order, over all copies. */
    public double flops() {
        return flops * spec.count();
    }

    /** FLOPs of the uncompressed layer: 2 * tokens * in * out for linears, 0 for tables and OTHER. */
    public double denseFlops() {
        return switch (spec.kind()) {
            case DENSE, TT, TTM -> 2.0 * tokens * spec.in() * spec.out() * spec.count();
            default -> 0;
        };
    }

    /** The paper's operation count at a precision: FLOPs * b*8/64 for quantized layers, plain FLOPs otherwise. */
    public double quantizedFlops(Precision p) {
        return spec.quantized() ? flops() * p.flopFactor() : flops();
    }

    /** The executed order: a contraction spec, "fused ((x,V),U)" for the TT fused path, "dense", "lookup" or "-". */
    public String order() {
        return order;
    }
}
