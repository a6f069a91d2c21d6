package ttq.model.bert;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import ttq.engine.GradMode;
import ttq.engine.Tensor;

/**
 * Puts pretrained weights named as Hugging Face's bert-base-uncased ({@code embeddings.word_embeddings.weight},
 * {@code encoder.layer.0.attention.self.query.weight} [out, in], ...) into a {@link BertEncoder}.
 * Accepts the {@code bert.} prefix of task checkpoints and the old {@code gamma}/{@code beta}
 * LayerNorm names; ignores the pooler and task heads. Every encoder tensor must be present with the
 * right shape: a missing or mis-shaped tensor is an error naming it and the source.
 */
public final class BertWeights {
    private BertWeights() {
    }

    /** Our parameter name for each Hugging Face name the encoder needs. */
    public static Map<String, String> names(BertConfig c) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("embeddings.word_embeddings.weight", "words");
        m.put("embeddings.position_embeddings.weight", "positions");
        m.put("embeddings.token_type_embeddings.weight", "tokenTypes");
        m.put("embeddings.LayerNorm.weight", "embeddingNorm.weight");
        m.put("embeddings.LayerNorm.bias", "embeddingNorm.bias");
        for (int i = 0; i < c.layers(); i++) {
            String hf = "encoder.layer." + i + ".", ours = "layer" + i + ".";
            String[][] pairs = {{"attention.self.query", "query"}, {"attention.self.key", "key"}, {"attention.self.value", "value"},
                {"attention.output.dense", "attentionOut"}, {"intermediate.dense", "up"}, {"output.dense", "down"},
                {"attention.output.LayerNorm", "attentionNorm"}, {"output.LayerNorm", "outputNorm"}};
            for (String[] p : pairs) {
                m.put(hf + p[0] + ".weight", ours + p[1] + ".weight");
                m.put(hf + p[0] + ".bias", ours + p[1] + ".bias");
            }
        }
        return m;
    }

    /** Loads {@code hf} (from {@code source}, for messages) into the encoder; linear weights are transposed to [in, out]. */
    public static void load(BertEncoder encoder, Map<String, Tensor> hf, String source) throws IOException {
        Map<String, Tensor> normalized = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : hf.entrySet()) {
            String k = e.getKey().startsWith("bert.") ? e.getKey().substring(5) : e.getKey();
            if (k.endsWith(".gamma")) {
                k = k.substring(0, k.length() - 6) + ".weight";
            } else if (k.endsWith(".beta")) {
                k = k.substring(0, k.length() - 5) + ".bias";
            }
            normalized.put(k, e.getValue());
        }
        Map<String, Tensor> ours = encoder.stateDict();
        Map<String, Tensor> state = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : names(encoder.config()).entrySet()) {
            Tensor t = normalized.get(e.getKey());
            if (t == null) {
                throw new IOException(source + ": tensor '" + e.getKey() + "' is missing (a " + encoder.config().layers()
                        + "-layer BERT encoder needs it)");
            }
            Tensor target = ours.get(e.getValue());
            boolean linearWeight = isLinearWeight(e.getValue(), target);
            Tensor value = linearWeight && t.rank() == 2 ? transposed(t) : t;
            if (!java.util.Arrays.equals(value.shape(), target.shape())) {
                throw new IOException(source + ": tensor '" + e.getKey() + "' has shape " + java.util.Arrays.toString(t.shape())
                        + ", the encoder needs " + java.util.Arrays.toString(linearWeight ? new int[] {target.dim(1), target.dim(0)} : target.shape()));
            }
            state.put(e.getValue(), value);
        }
        for (Map.Entry<String, Tensor> e : ours.entrySet()) {
            state.putIfAbsent(e.getKey(), e.getValue());
        }
        encoder.loadStateDict(state);
    }

    /** The encoder's weights under Hugging Face's names, linear weights [out, in] (what {@link #load} reads back). */
    public static Map<String, Tensor> toHuggingFace(BertEncoder encoder) {
        Map<String, Tensor> ours = encoder.stateDict(), out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : names(encoder.config()).entrySet()) {
            Tensor t = ours.get(e.getValue());
            out.put(e.getKey(), isLinearWeight(e.getValue(), t) ? transposed(t) : t);
        }
        return out;
    }

    /** A block linear's weight (ours [in, out], Hugging Face's [out, in]), as opposed to tables and norms. */
    private static boolean isLinearWeight(String ourName, Tensor ours) {
        return ourName.startsWith("layer") && ourName.endsWith(".weight") && ours.rank() == 2;
    }

    /** A new [c, r] copy of a matrix [r, c] (the engine's permute, outside any graph). */
    static Tensor transposed(Tensor t) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return t.transpose(0, 1);
        }
    }
}
