package ttq.model.quant;

import ttq.engine.nn.Module;
import ttq.engine.quant.LearnedScaleQuantizer;

/**
 * Initialises the weight-quantizer scales of every TT / TTM layer in a model from that layer's
 * cores, by a chosen rule, before the first step. At 2 bits the default rule (max|w| / Q_p, Q_p = 1)
 * puts the scale at the largest core value, so nearly every value rounds to zero; LSQ's
 * 2 mean|w| / sqrt(Q_p) starts from levels that cover the bulk of the cores.
 */
public final class WeightScaleInit {
    private WeightScaleInit() {
    }

    /** Sets every still-uninitialised weight scale in {@code root} by {@code rule}; returns how many it set. */
    public static int apply(Module root, LearnedScaleQuantizer.Init rule) {
        int set = 0;
        for (Module m : root.namedModules().values()) {
            QuantizedCores q = QuantizedCores.of(m);
            if (q != null && q.quantizer().initializeFrom(q.cores(), rule)) {
                set++;
            }
        }
        return set;
    }
}
