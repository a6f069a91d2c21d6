package ttq.model.infer;

import java.util.ArrayList;
import java.util.List;
import ttq.model.Layer;
import ttq.model.Linear;
import ttq.model.nn.LayerNorm;
import ttq.model.transformer.EncoderBlock;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;

/**
 * A trained {@link JointIntentSlotModel} compiled for forward-only inference: no autograd graph and
 * no tensors per op, only flat arrays and kernels. Weight-quantized TT layers and the TTM embedding
 * run in integer arithmetic ({@link IntTtLinear}, {@link IntTtmEmbedding}); with quantized attention,
 * Q K^T and P V are INT8 products at the trained Q/K/V/P scales; layer norm, softmax, GELU, tanh and
 * the FP32 classifier run in float. FP32 TT and dense models run on float kernels. Immutable after
 * construction and shared by threads; each thread calls it through its own {@link RuntimeSession}.
 */
public final class JointRuntime {
    final TransformerConfig config;
    final int hidden, heads, headDim, ffn, maxLength, intents, slots;
    final TokenEmbedding tokens;
    final float[] positions;
    final Norm embeddingNorm;
    final Block[] blocks;
    final RuntimeLinear intentHidden, intentOut, slotHidden, slotOut;
    /** Whether any block runs INT8 attention (sessions then keep code buffers for Q, K, V). */
    final boolean integerAttention;

    /** A layer norm's gain, bias and eps. */
    record Norm(float[] gamma, float[] beta, float eps) {
        static Norm of(LayerNorm n) {
            return new Norm(n.weight().toArray(), n.bias().toArray(), n.eps());
        }
    }

    /** One encoder block: the attention sublayer, its norm, the feed-forward layers and their norm. */
    record Block(RuntimeAttention attention, Norm attentionNorm, RuntimeLinear up, RuntimeLinear down, Norm ffnNorm) {
    }

    private JointRuntime(JointIntentSlotModel net, TtOrder order) {
        this.config = net.config();
        this.hidden = config.hidden();
        this.heads = config.heads();
        this.headDim = hidden / heads;
        this.ffn = config.ffn();
        this.maxLength = config.maxLength();
        this.intents = config.intents();
        this.slots = config.slots();
        TtmEmbedding ttm = net.ttmTokenEmbedding();
        if (ttm != null) {
            this.tokens = ttm.weightQuantizer() != null ? new IntTtmEmbedding(ttm) : new FloatTtmEmbedding(ttm);
        } else {
            this.tokens = new DenseEmbedding(net.denseTokenTable().toArray(), config.vocab(), hidden);
        }
        this.positions = net.positionTable().toArray();
        this.embeddingNorm = Norm.of(net.embeddingNorm());
        List<EncoderBlock> bs = net.blocks();
        this.blocks = new Block[bs.size()];
        for (int i = 0; i < blocks.length; i++) {
            EncoderBlock b = bs.get(i);
            blocks[i] = new Block(new RuntimeAttention(b.attention(), l -> linear(l, order), "block" + i + ".attention"),
                    Norm.of(b.attentionNorm()), linear(b.up(), order), linear(b.down(), order), Norm.of(b.ffnNorm()));
        }
        boolean anyInteger = false;
        for (Block b : blocks) {
            anyInteger |= b.attention().integer();
        }
        this.integerAttention = anyInteger;
        this.intentHidden = linear(net.intentHidden(), order);
        this.intentOut = linear(net.intentOut(), order);
        this.slotHidden = linear(net.slotHidden(), order);
        this.slotOut = linear(net.slotOut(), order);
    }

    /** Compiles a model (its quantizers initialised, e.g. trained or loaded) with the TT order picked by timing. */
    public static JointRuntime of(JointIntentSlotModel net) {
        return of(net, TtOrder.AUTO);
    }

    /** Compiles a model with a given contraction order for its integer TT layers ({@link TtOrder#AUTO}: timed). */
    public static JointRuntime of(JointIntentSlotModel net, TtOrder order) {
        return new JointRuntime(net, order);
    }

    static RuntimeLinear linear(Object layer, TtOrder order) {
        if (layer instanceof TtLinear t) {
            return t.weightQuantizer() != null ? new IntTtLinear(t, order) : new FloatTtLinear(t);
        }
        if (layer instanceof Linear l) {
            return new DenseLinear(l);
        }
        throw new IllegalArgumentException("the runtime has no form for layer " + layer.getClass().getSimpleName());
    }

    /** The model's configuration. */
    public TransformerConfig config() {
        return config;
    }

    /** The longest utterance the model takes (its positional table). */
    public int maxLength() {
        return maxLength;
    }

    /** Number of intents (intent logits per utterance). */
    public int intents() {
        return intents;
    }

    /** Number of slot tags (slot logits per token). */
    public int slots() {
        return slots;
    }

    /** Number of valid token ids. */
    public int vocabulary() {
        return tokens.vocabulary();
    }

    /** A session for one caller thread, splitting batches over {@code threads} threads (1: all on the caller). */
    public RuntimeSession newSession(int threads) {
        return new RuntimeSession(this, threads);
    }

    /** The runtime plan, one line per part: what each layer runs as, and the TT contraction orders chosen. */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        out.add("tokens: " + tokens.describe() + "; positions FP32 " + maxLength + " x " + hidden + "; layer norm FP32");
        for (int i = 0; i < blocks.length; i++) {
            Block b = blocks[i];
            RuntimeAttention a = b.attention();
            out.add("block" + i + ".attention.query/key/value: " + a.query.describe());
            out.add("block" + i + ".attention.output: " + a.output.describe());
            out.add("block" + i + ".attention: " + a.describe());
            out.add("block" + i + ".up: " + b.up().describe());
            out.add("block" + i + ".down: " + b.down().describe());
        }
        out.add("intent head: " + intentHidden.describe() + ", tanh, " + intentOut.describe());
        out.add("slot head: " + slotHidden.describe() + ", GELU, " + slotOut.describe());
        return out;
    }

    /** Whether any layer runs in integer arithmetic. */
    public boolean integer() {
        if (tokens instanceof IntTtmEmbedding) {
            return true;
        }
        for (Block b : blocks) {
            if (b.attention().query instanceof IntTtLinear || b.attention().integer()) {
                return true;
            }
        }
        return false;
    }
}
