package ttq.model.bert;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;
import ttq.model.nn.LayerNorm;
import ttq.model.tt.TtmEmbedding;
import ttq.model.transformer.DropoutSource;

/**
 * A BERT-architecture encoder (Hugging Face's {@code BertModel} without the pooler): word +
 * position + token-type embeddings, LayerNorm, then {@link BertLayer}s. Pretrained weights come in
 * through {@link BertWeights}.
 */
public final class BertEncoder extends Module {
    private final BertConfig config;
    private final Tensor words, positions, tokenTypes;
    private final TtmEmbedding ttmWords;
    private final LayerNorm embeddingNorm;
    private final List<BertLayer> layers = new ArrayList<>();
    private final DropoutSource dropoutSource = new DropoutSource();

    /** A dense encoder, randomly initialised (N(0, 0.02) embeddings, as BERT). */
    public BertEncoder(BertConfig c, long seed) {
        this(c, null, null, seed);
    }

    /** Builds the blocks of a (compressed) encoder; gets the encoder's dropout source. */
    public interface LayerBuilder {
        BertLayer build(int index, DropoutSource dropout);
    }

    /**
     * An encoder whose word table is {@code ttmWords} (null: a dense table) and whose blocks come
     * from {@code blocks} (null: dense blocks). Position and token-type tables stay dense (small).
     */
    public BertEncoder(BertConfig c, TtmEmbedding ttmWords, LayerBuilder blocks, long seed) {
        this.config = c;
        Random init = new Random(seed);
        if (ttmWords != null && (ttmWords.vocabulary() != c.vocab() || ttmWords.hidden() != c.hidden())) {
            throw new IllegalArgumentException("TTM word table " + ttmWords.vocabulary() + " x " + ttmWords.hidden() + " does not fit "
                    + c.vocab() + " x " + c.hidden());
        }
        this.ttmWords = ttmWords == null ? null : module("words", ttmWords);
        words = ttmWords == null ? parameter("words", Tensor.normal(init, 0.02f, c.vocab(), c.hidden())) : null;
        positions = parameter("positions", Tensor.normal(init, 0.02f, c.maxPositions(), c.hidden()));
        tokenTypes = parameter("tokenTypes", Tensor.normal(init, 0.02f, c.typeVocab(), c.hidden()));
        embeddingNorm = module("embeddingNorm", new LayerNorm(c.hidden(), c.layerNormEps()));
        for (int i = 0; i < c.layers(); i++) {
            layers.add(module("layer" + i, blocks == null ? new BertLayer(c, init, dropoutSource) : blocks.build(i, dropoutSource)));
        }
    }

    /** The encoder's configuration. */
    public BertConfig config() {
        return config;
    }

    /** The TTM word table, or null when the word table is dense (the {@code words} parameter). */
    public TtmEmbedding ttmWords() {
        return ttmWords;
    }

    /** The layer norm after the embeddings. */
    public LayerNorm embeddingNorm() {
        return embeddingNorm;
    }

    /** The encoder blocks, bottom first. */
    public List<BertLayer> layers() {
        return List.copyOf(layers);
    }

    /** The random source of every dropout mask in the encoder (and its task heads). */
    public DropoutSource dropoutSource() {
        return dropoutSource;
    }

    /** Reseeds the dropout masks for one training step, so a resumed run draws the masks an uninterrupted one would. */
    public void reseedDropout(long seed, int epoch, int step) {
        dropoutSource.reseed(seed, epoch, step);
    }

    /** The last hidden states [B, L, H]. */
    public Tensor forward(BertInput in) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            return forward(in, false).last();
        }
    }

    /**
     * Runs the encoder; with {@code keepLayers} the output also lists the embedding output, every
     * block's output and every block's attention probabilities.
     */
    public BertOutput forward(BertInput in, boolean keepLayers) {
        return forward(in, keepLayers, layers.size());
    }

    /** As {@link #forward(BertInput, boolean)}, running only the first {@code blocks} blocks (layer-by-layer distillation). */
    public BertOutput forward(BertInput in, boolean keepLayers, int blocks) {
        if (blocks < 0 || blocks > layers.size()) {
            throw new IllegalArgumentException("blocks " + blocks + " outside [0, " + layers.size() + "]");
        }
        in.check(config);
        int b = in.batch(), l = in.length(), d = config.hidden();
        int[] pos = new int[b * l];
        float[] pad = new float[b * l];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = i % l;
            pad[i] = in.mask()[i] == 0 ? 1f : 0f;
        }
        Tensor w = ttmWords != null ? ttmWords.forward(in.ids(), b * l) : Ops.indexSelect(words, 0, in.ids());
        Tensor x = w.add(Ops.indexSelect(positions, 0, pos)).add(Ops.indexSelect(tokenTypes, 0, in.typeIds()));
        x = Ops.dropout(embeddingNorm.forward(x.reshape(b, l, d)), config.dropout(), isTraining(), dropoutSource.random());
        Tensor padMask = Tensor.wrap(pad, b, 1, 1, l);
        List<Tensor> hidden = new ArrayList<>(), attention = new ArrayList<>();
        if (keepLayers) {
            hidden.add(x);
        }
        for (BertLayer layer : layers.subList(0, blocks)) {
            BertLayer.Result r = layer.forward(x, padMask);
            x = r.output();
            if (keepLayers) {
                hidden.add(x);
                attention.add(r.attention());
            }
        }
        return new BertOutput(x, hidden, attention);
    }
}
