package ttq.model;

import java.util.Random;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;

/** Two dense layers with a GELU and dropout between them: the smallest trainable model. */
public final class Mlp extends Module {
    private final Linear hidden;
    private final Linear output;
    private final float dropout;
    private final Random dropoutRandom;

    /** Two dense layers in -> hiddenSize -> out with the given dropout, initialised from seed. */
    public Mlp(int in, int hiddenSize, int out, float dropout, long seed) {
        Random random = new Random(seed);
        this.hidden = module("hidden", new Linear(in, hiddenSize, true, random));
        this.output = module("output", new Linear(hiddenSize, out, true, random));
        this.dropout = dropout;
        this.dropoutRandom = new Random(seed ^ 0x5DEECE66DL);
    }

    /** x [batch, in] to logits [batch, out]. */
    public Tensor forward(Tensor x) {
        Tensor h = hidden.forward(x).gelu();
        h = Ops.dropout(h, dropout, isTraining(), dropoutRandom);
        return output.forward(h);
    }
}
