package ttq.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Shape of a BERT-architecture encoder (Devlin et al. 2019; Hugging Face's {@code BertModel}):
 * post-LN blocks, erf GELU, learned absolute positions and token types.
 */
public record BertConfig(int vocab, int hidden, int layers, int heads, int intermediate, int maxPositions, int typeVocab,
                         float layerNormEps, float dropout) {
    /** Validates the widths (hidden a multiple of heads). */
    public BertConfig {
        if (vocab < 1 || hidden < 1 || layers < 1 || heads < 1 || intermediate < 1 || maxPositions < 1 || typeVocab < 1) {
            throw new IllegalArgumentException("BERT config: every extent must be positive, got " + this);
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("BERT config: hidden " + hidden + " is not divisible by " + heads + " heads");
        }
        if (!(layerNormEps > 0) || !(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("BERT config: layer norm eps must be > 0 and dropout in [0, 1), got " + this);
        }
    }

    /** Width of one attention head, hidden / heads. */
    public int headDim() {
        return hidden / heads;
    }

    /** The same encoder with another number of layers (a layer-reduced student). */
    public BertConfig withLayers(int n) {
        return new BertConfig(vocab, hidden, n, heads, intermediate, maxPositions, typeVocab, layerNormEps, dropout);
    }

    /** Reads a Hugging Face {@code config.json} (bert-base-uncased keys); errors name the file and key. */
    public static BertConfig readHuggingFace(Path configJson) throws IOException {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(Files.readAllBytes(configJson));
        } catch (IOException e) {
            throw new IOException(configJson + ": not readable JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", e);
        }
        String act = n.path("hidden_act").asText("gelu");
        if (!act.equals("gelu")) {
            throw new IOException(configJson + ": hidden_act '" + act + "' is not supported (only BERT's erf gelu)");
        }
        String pos = n.path("position_embedding_type").asText("absolute");
        if (!pos.equals("absolute")) {
            throw new IOException(configJson + ": position_embedding_type '" + pos + "' is not supported (only absolute)");
        }
        try {
            return new BertConfig(required(n, "vocab_size", configJson), required(n, "hidden_size", configJson),
                    required(n, "num_hidden_layers", configJson), required(n, "num_attention_heads", configJson),
                    required(n, "intermediate_size", configJson), n.path("max_position_embeddings").asInt(512),
                    n.path("type_vocab_size").asInt(2), (float) n.path("layer_norm_eps").asDouble(1e-12),
                    (float) n.path("hidden_dropout_prob").asDouble(0.1));
        } catch (IllegalArgumentException e) {
            throw new IOException(configJson + ": " + e.getMessage(), e);
        }
    }

    private static int required(JsonNode n, String key, Path file) throws IOException {
        JsonNode v = n.get(key);
        if (v == null || !v.canConvertToInt()) {
            throw new IOException(file + ": key '" + key + "' is missing or not an integer");
        }
        return v.asInt();
    }
}
