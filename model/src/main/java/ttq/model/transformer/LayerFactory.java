package ttq.model.transformer;

import java.util.Random;
import ttq.engine.nn.Module;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.Linear;
import ttq.model.tt.TtLinear;

/** Builds the linear layers of the transformer as the configuration asks: dense, or TT (quantized or not). */
final class LayerFactory {
    private LayerFactory() {
    }

    /**
     * A dense layer, or a TT layer with the given modes; {@code compressed} says whether this layer
     * follows the model's bits (the classifier's TT layer stays FP32).
     */
    static Module linear(TransformerConfig c, int in, int out, int[] outModes, int[] inModes, boolean compressed, Random random) {
        if (c.format().equals("dense")) {
            return new Linear(in, out, true, random);
        }
        TtLinear layer = new TtLinear(outModes, inModes, c.ttRank(), true, random);
        if (compressed && c.bits() < 32) {
            layer.quantizeWeights(new LearnedScaleQuantizer(c.bits()));
            if (c.quantizeActivations()) {
                layer.quantizeInput(new LearnedScaleQuantizer(8));
            }
        }
        return layer;
    }
}
