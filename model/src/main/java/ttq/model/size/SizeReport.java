package ttq.model.size;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Costs of every layer of a {@link ModelSpec} for a forward over some tokens, with totals and
 * ratios against the same model all dense in FP32 (every TT/TTM layer and table uncompressed).
 * Every total is the sum of the rows ({@link #layers()}).
 */
public final class SizeReport {
    private final ModelSpec spec;
    private final int tokens;
    private final List<LayerCost> layers;

    private SizeReport(ModelSpec spec, int tokens, List<LayerCost> layers) {
        this.spec = spec;
        this.tokens = tokens;
        this.layers = List.copyOf(layers);
    }

    /** Measures every layer for {@code tokens} rows (>= 1). */
    public static SizeReport of(ModelSpec spec, int tokens) {
        List<LayerCost> costs = new ArrayList<>();
        for (LayerSpec l : spec.layers()) {
            costs.add(LayerCost.of(l, tokens));
        }
        return new SizeReport(spec, tokens, costs);
    }

    /** Measures every layer for the spec's default tokens. */
    public static SizeReport of(ModelSpec spec) {
        return of(spec, spec.tokens());
    }

    /** The model measured. */
    public ModelSpec spec() {
        return spec;
    }

    /** Rows of the forward the FLOPs are counted for. */
    public int tokens() {
        return tokens;
    }

    /** One cost per layer spec, in order. */
    public List<LayerCost> layers() {
        return layers;
    }

    /** Group labels in order of first appearance. */
    public List<String> groups() {
        List<String> g = new ArrayList<>();
        for (LayerCost c : layers) {
            if (!g.contains(c.spec().group())) {
                g.add(c.spec().group());
            }
        }
        return g;
    }

    private long sumLong(ToLongFunction<LayerCost> f) {
        long s = 0;
        for (LayerCost c : layers) {
            s += f.applyAsLong(c);
        }
        return s;
    }

    private double sum(Predicate<LayerCost> which, ToDoubleFunction<LayerCost> f) {
        double s = 0;
        for (LayerCost c : layers) {
            if (which.test(c)) {
                s += f.applyAsDouble(c);
            }
        }
        return s;
    }

    /** Weights and cores (biases excluded). */
    public long params() {
        return sumLong(LayerCost::params);
    }

    /** Bias parameters. */
    public long biasParams() {
        return sumLong(LayerCost::biasParams);
    }

    /** All parameters. */
    public long totalParams() {
        return sumLong(LayerCost::totalParams);
    }

    /** Parameters stored at the model precision. */
    public long quantizedParams() {
        return sumLong(LayerCost::quantizedParams);
    }

    /** Parameters of the all-dense model. */
    public long denseParams() {
        return sumLong(LayerCost::denseParams);
    }

    /** Bytes of the model at a precision. */
    public long bytes(Precision p) {
        return sumLong(c -> c.bytes(p));
    }

    /** Bytes of the all-dense FP32 model. */
    public long denseBytes() {
        return sumLong(LayerCost::denseBytes);
    }

    /** Size reduction at a precision: dense FP32 bytes / bytes. */
    public double compression(Precision p) {
        return (double) denseBytes() / bytes(p);
    }

    /** Forward FLOPs in the executed orders. */
    public double flops() {
        return sum(c -> true, LayerCost::flops);
    }

    /** Forward FLOPs of the all-dense model. */
    public double denseFlops() {
        return sum(c -> true, LayerCost::denseFlops);
    }

    /** The paper's operation count at a precision (see {@link LayerCost#quantizedFlops}). */
    public double quantizedFlops(Precision p) {
        return sum(c -> true, c -> c.quantizedFlops(p));
    }

    /** FLOPs of the layers of one group. */
    public double flops(String group) {
        return sum(c -> c.spec().group().equals(group), LayerCost::flops);
    }

    /** Dense-model FLOPs of the layers of one group. */
    public double denseFlops(String group) {
        return sum(c -> c.spec().group().equals(group), LayerCost::denseFlops);
    }

    /** The paper's operation count of one group at a precision. */
    public double quantizedFlops(String group, Precision p) {
        return sum(c -> c.spec().group().equals(group), c -> c.quantizedFlops(p));
    }
}
