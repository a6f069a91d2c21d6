package ttq.model.bert;

import java.util.Random;
import ttq.engine.profile.Profiler;
import ttq.model.transformer.DropoutSource;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.model.Layer;
import ttq.model.Linear;
import ttq.model.nn.LayerNorm;

/**
 * One BERT block (post-LN): a = LN(x + drop(O · attention(Q x, K x, V x))); y = LN(a + drop(W2 gelu(W1 a))).
 * The six linears are {@link Layer}s so a student can put TT or quantized layers in their place.
 */
public final class BertLayer extends Module {
    private final Layer query, key, value, attentionOut, up, down;
    private final LayerNorm attentionNorm, outputNorm;
    private final int heads, headDim;
    private final float dropout;
    private final DropoutSource dropoutSource;

    /** A dense block with PyTorch's nn.Linear initialisation (the loader overwrites it with pretrained weights). */
    public BertLayer(BertConfig c, Random init, DropoutSource dropoutSource) {
        this(c, dense(c.hidden(), c.hidden(), init), dense(c.hidden(), c.hidden(), init), dense(c.hidden(), c.hidden(), init),
                dense(c.hidden(), c.hidden(), init), dense(c.hidden(), c.intermediate(), init), dense(c.intermediate(), c.hidden(), init),
                dropoutSource);
    }

    /** A block whose linears are given (dense, TT, quantized: anything that maps [.., in] to [.., out]). */
    public BertLayer(BertConfig c, Layer query, Layer key, Layer value, Layer attentionOut, Layer up, Layer down, DropoutSource dropoutSource) {
        this.heads = c.heads();
        this.headDim = c.headDim();
        this.dropout = c.dropout();
        this.dropoutSource = dropoutSource;
        this.query = (Layer) module("query", (Module) query);
        this.key = (Layer) module("key", (Module) key);
        this.value = (Layer) module("value", (Module) value);
        this.attentionOut = (Layer) module("attentionOut", (Module) attentionOut);
        this.attentionNorm = module("attentionNorm", new LayerNorm(c.hidden(), c.layerNormEps()));
        this.up = (Layer) module("up", (Module) up);
        this.down = (Layer) module("down", (Module) down);
        this.outputNorm = module("outputNorm", new LayerNorm(c.hidden(), c.layerNormEps()));
    }

    private static Linear dense(int in, int out, Random init) {
        return new Linear(in, out, true, init);
    }

    /** The query projection. */
    public Layer query() {
        return query;
    }

    /** The key projection. */
    public Layer key() {
        return key;
    }

    /** The value projection. */
    public Layer value() {
        return value;
    }

    /** The attention output projection. */
    public Layer attentionOut() {
        return attentionOut;
    }

    /** The feed-forward up projection (hidden to intermediate). */
    public Layer up() {
        return up;
    }

    /** The feed-forward down projection (intermediate to hidden). */
    public Layer down() {
        return down;
    }

    /** The layer norm after the attention residual. */
    public LayerNorm attentionNorm() {
        return attentionNorm;
    }

    /** The layer norm after the feed-forward residual. */
    public LayerNorm outputNorm() {
        return outputNorm;
    }

    /** The block's output and its attention probabilities [B, heads, L, L]. */
    public record Result(Tensor output, Tensor attention) {
    }

    /** x [B, L, H]; padMask [B, 1, 1, L] with 1 at padding keys. */
    public Result forward(Tensor x, Tensor padMask) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            Tensor p = Ops.attentionScores(query.forward(x), key.forward(x), padMask, heads, (float) (1.0 / Math.sqrt(headDim)));
            Tensor context = Ops.attentionContext(Ops.dropout(p, dropout, isTraining(), dropoutSource.random()), value.forward(x), heads);
            Tensor a = attentionNorm.forward(x, Ops.dropout(attentionOut.forward(context), dropout, isTraining(), dropoutSource.random()));
            Tensor f = down.forwardGelu(up.forward(a));
            return new Result(outputNorm.forward(a, Ops.dropout(f, dropout, isTraining(), dropoutSource.random())), p);
        }
    }
}
