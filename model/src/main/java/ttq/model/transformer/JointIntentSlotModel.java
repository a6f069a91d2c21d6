package ttq.model.transformer;

import java.util.Random;
import ttq.engine.GradMode;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.Layer;
import ttq.model.Linear;
import ttq.model.nn.LayerNorm;
import ttq.model.tt.TtmEmbedding;

/**
 * The paper's ATIS model (section 3.1): token + learned positional embeddings, a stack of encoder
 * blocks, an intent head on the first position and a slot head on every token, each a (TT or
 * dense) hidden linear then a dense output layer. Loss = intent CE + slot CE.
 */
public final class JointIntentSlotModel extends Module {
    private final TransformerConfig config;
    private final DropoutSource dropoutSource = new DropoutSource();
    private final TtmEmbedding ttmTokens;
    private final Tensor denseTokens;
    private final Tensor positions;
    private final LayerNorm embeddingNorm;
    private final EncoderBlock[] blocks;
    private final Layer intentHidden, slotHidden;
    private final Linear intentOut, slotOut;

    /** A model of configuration c, initialised from seed. */
    public JointIntentSlotModel(TransformerConfig c, long seed) {
        this.config = c;
        Random random = new Random(seed);
        int d = c.hidden();
        if (c.ttmEmbedding()) {
            TtmEmbedding e = new TtmEmbedding(c.vocab(), c.embeddingRowModes(), c.embeddingColModes(), c.embeddingRank(), random);
            if (c.bits() < 32) {
                e.quantizeWeights(new LearnedScaleQuantizer(c.bits()));
            }
            ttmTokens = module("tokens", e);
            denseTokens = null;
        } else {
            ttmTokens = null;
            denseTokens = parameter("tokens", Tensor.normal(random, 0.02f, c.vocab(), d));
        }
        positions = parameter("positions", Tensor.normal(random, 0.02f, c.maxLength(), d));
        embeddingNorm = module("embeddingNorm", new LayerNorm(d));
        blocks = new EncoderBlock[c.layers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = module("block" + i, new EncoderBlock(c, dropoutSource, random));
        }
        intentHidden = (Layer) module("intentHidden", LayerFactory.linear(c, d, d, c.attnOutModes(), c.attnInModes(), false, random));
        intentOut = module("intentOut", new Linear(d, c.intents(), true, random));
        slotHidden = (Layer) module("slotHidden", LayerFactory.linear(c, d, d, c.attnOutModes(), c.attnInModes(), false, random));
        slotOut = module("slotOut", new Linear(d, c.slots(), true, random));
    }

    /** The configuration this model was built from. */
    public TransformerConfig config() {
        return config;
    }

    /**
     * Re-initialises the learned positional table with the fixed sinusoids of Vaswani et al.,
     * scaled to the root-mean-square of the token embeddings. The table stays a trained
     * parameter; the sinusoids only give it a start in which nearby positions look alike, so
     * that attention can read "the word after 'to'" on a corpus too small to learn that
     * from random vectors at each absolute position.
     */
    public void initSinusoidalPositions() {
        int d = config.hidden(), n = Math.min(config.vocab(), 4096);
        double tokenMeanSquare;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = i;
            }
            float[] rows = (ttmTokens != null ? ttmTokens.forward(ids, 1, n) : Ops.indexSelect(denseTokens, 0, ids)).toArray();
            double sum = 0;
            for (float v : rows) {
                sum += (double) v * v;
            }
            tokenMeanSquare = sum / rows.length;
        }
        // A sinusoid table has mean square 1/2 per element.
        double scale = Math.sqrt(2 * tokenMeanSquare);
        float[] table = positions.data();
        for (int pos = 0; pos < config.maxLength(); pos++) {
            for (int i = 0; i < d; i += 2) {
                double angle = pos / Math.pow(10000, (double) i / d);
                table[pos * d + i] = (float) (scale * Math.sin(angle));
                if (i + 1 < d) {
                    table[pos * d + i + 1] = (float) (scale * Math.cos(angle));
                }
            }
        }
    }

    /** The TTM token embedding, or null when the model has a dense table ({@link #denseTokenTable()}). */
    public TtmEmbedding ttmTokenEmbedding() {
        return ttmTokens;
    }

    /** The dense token table [vocab, hidden], or null when the embedding is a TTM. */
    public Tensor denseTokenTable() {
        return denseTokens;
    }

    /** The learned positional table [maxLength, hidden]. */
    public Tensor positionTable() {
        return positions;
    }

    /** The layer norm after token + position embedding. */
    public LayerNorm embeddingNorm() {
        return embeddingNorm;
    }

    /** The encoder blocks, first to last. */
    public java.util.List<EncoderBlock> blocks() {
        return java.util.List.of(blocks);
    }

    /** The intent head's hidden linear (its output goes through tanh). */
    public Layer intentHidden() {
        return intentHidden;
    }

    /** The intent head's output layer. */
    public Linear intentOut() {
        return intentOut;
    }

    /** The slot head's hidden linear (its output goes through GELU). */
    public Layer slotHidden() {
        return slotHidden;
    }

    /** The slot head's output layer. */
    public Linear slotOut() {
        return slotOut;
    }

    /** Reseeds every dropout mask for one training step (see {@link DropoutSource}). */
    public void reseedDropout(long seed, int epoch, int step) {
        dropoutSource.reseed(seed, epoch, step);
    }

    /** Intent logits [B, intents] and slot logits [B * L, slots]. */
    public record Logits(Tensor intents, Tensor slots) {
    }

    /** ids [B * L] (0 = padding), mask [B * L] (1 = token). */
    public Logits forward(int[] ids, float[] mask, int b, int l) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            if (l > config.maxLength()) {
                throw new IllegalArgumentException("sequence length " + l + " exceeds the model's maximum " + config.maxLength());
            }
            int d = config.hidden();
            Tensor tokens = ttmTokens != null ? ttmTokens.forward(ids, b, l) : Ops.indexSelect(denseTokens, 0, ids).reshape(b, l, d);
            Tensor x = tokens.add(positions.slice(0, 0, l));
            x = Ops.dropout(embeddingNorm.forward(x), config.dropout(), isTraining(), dropoutSource.random());
            float[] pad = new float[mask.length];
            for (int i = 0; i < pad.length; i++) {
                pad[i] = mask[i] == 0f ? 1f : 0f;
            }
            Tensor padMask = Tensor.wrap(pad, b, 1, 1, l);
            for (EncoderBlock block : blocks) {
                x = block.forward(x, padMask);
            }
            Tensor first = x.slice(1, 0, 1).reshape(b, d);
            Tensor intents = intentOut.forward(intentHidden.forward(first).tanh());
            Tensor slots = slotOut.forward(slotHidden.forward(x.reshape(b * l, d)).gelu());
            return new Logits(intents, slots);
        }
    }

    /** Intent cross-entropy plus slot cross-entropy (slot targets -100 are ignored). */
    public Tensor loss(Logits logits, int[] intentTargets, int[] slotTargets) {
        return Ops.crossEntropy(logits.intents(), intentTargets, -100).add(Ops.crossEntropy(logits.slots(), slotTargets, -100));
    }
}
