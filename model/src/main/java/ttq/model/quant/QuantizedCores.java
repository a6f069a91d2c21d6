package ttq.model.quant;

import java.util.List;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;
import ttq.model.tt.TtmLinear;

/**
 * The cores of a weight-quantized tensor-train module (TT linear, TTM linear or TTM embedding)
 * with the quantizer they share: the one place that knows which modules have them, for size
 * accounting, export and scale initialisation.
 */
public record QuantizedCores(List<Tensor> cores, LearnedScaleQuantizer quantizer) {
    /** The module's quantized cores, or null when it is not a TT/TTM module with a weight quantizer. */
    public static QuantizedCores of(Module m) {
        List<Tensor> cores;
        LearnedScaleQuantizer q;
        if (m instanceof TtLinear t) {
            cores = t.cores();
            q = t.weightQuantizer();
        } else if (m instanceof TtmLinear t) {
            cores = t.cores();
            q = t.weightQuantizer();
        } else if (m instanceof TtmEmbedding t) {
            cores = t.cores();
            q = t.weightQuantizer();
        } else {
            return null;
        }
        return q == null ? null : new QuantizedCores(cores, q);
    }
}
