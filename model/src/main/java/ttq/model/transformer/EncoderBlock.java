package ttq.model.transformer;

import java.util.Random;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;
import ttq.model.Layer;
import ttq.model.nn.LayerNorm;

/** A BERT (post-LN) encoder block: x = LN(x + drop(attention(x))); x = LN(x + drop(W2 gelu(W1 x))). */
public final class EncoderBlock extends Module {
    private final MultiHeadAttention attention;
    private final LayerNorm attentionNorm, ffnNorm;
    private final Layer up, down;
    private final float dropout;
    private final DropoutSource dropoutSource;

    EncoderBlock(TransformerConfig c, DropoutSource dropoutSource, Random random) {
        this.dropout = c.dropout();
        this.dropoutSource = dropoutSource;
        attention = module("attention", new MultiHeadAttention(c, dropoutSource, random));
        attentionNorm = module("attentionNorm", new LayerNorm(c.hidden()));
        up = (Layer) module("up", LayerFactory.linear(c, c.hidden(), c.ffn(), c.ffnOutModes(), c.ffnInModes(), true, random));
        down = (Layer) module("down", LayerFactory.linear(c, c.ffn(), c.hidden(), c.ffnInModes(), c.ffnOutModes(), true, random));
        ffnNorm = module("ffnNorm", new LayerNorm(c.hidden()));
    }

    /** The self-attention sublayer. */
    public MultiHeadAttention attention() {
        return attention;
    }

    /** The layer norm after the attention residual. */
    public LayerNorm attentionNorm() {
        return attentionNorm;
    }

    /** The feed-forward up projection (hidden to ffn). */
    public Layer up() {
        return up;
    }

    /** The feed-forward down projection (ffn to hidden). */
    public Layer down() {
        return down;
    }

    /** The layer norm after the feed-forward residual. */
    public LayerNorm ffnNorm() {
        return ffnNorm;
    }

    /** The block's output for x [B, L, hidden]; padMask [B, 1, 1, L] is 1 at padding positions. */
    public Tensor forward(Tensor x, Tensor padMask) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            Tensor a = Ops.dropout(attention.forward(x, padMask), dropout, isTraining(), dropoutSource.random());
            x = attentionNorm.forward(x, a);
            Tensor f = Ops.dropout(down.forwardGelu(up.forward(x)), dropout, isTraining(), dropoutSource.random());
            return ffnNorm.forward(x, f);
        }
    }
}
