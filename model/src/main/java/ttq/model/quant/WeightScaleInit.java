package ttq.model.quant;

import java.util.List;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;
import ttq.model.tt.TtmLinear;

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
            LearnedScaleQuantizer q = null;
            List<Tensor> cores = null;
            if (m instanceof TtLinear t) {
                q = t.weightQuantizer();
                cores = t.cores();
            } else if (m instanceof TtmEmbedding e) {
                q = e.weightQuantizer();
                cores = e.cores();
            } else if (m instanceof TtmLinear t) {
                q = t.weightQuantizer();
                cores = t.cores();
            }
            if (q != null && q.initializeFrom(cores, rule)) {
                set++;
            }
        }
        return set;
    }
}
