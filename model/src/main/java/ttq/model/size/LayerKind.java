package ttq.model.size;

import java.util.Locale;

/** The kinds of layers a {@link LayerSpec} can describe. */
public enum LayerKind {
    /** Dense linear layer y = W x + b ({@code in * out} weights). */
    DENSE,
    /** Tensor-train linear layer ({@link ttq.model.tt.TtLinear}). */
    TT,
    /** Tensor-train-matrix linear layer ({@link ttq.model.tt.TtmLinear}). */
    TTM,
    /** Embedding table in TTM format ({@link ttq.model.tt.TtmEmbedding}). */
    TTM_EMBEDDING,
    /** Dense embedding table (token, positional or token-type): a lookup, no FLOPs. */
    DENSE_EMBEDDING,
    /** Other FP32 parameters (LayerNorm gamma and beta, loose vectors): no FLOPs counted. */
    OTHER;

    /** The JSON spelling: lower case ("tt", "ttm_embedding", ...). */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the weights are tensor cores (TT, TTM, TTM embedding). */
    public boolean isCompressed() {
        return this == TT || this == TTM || this == TTM_EMBEDDING;
    }

    /** Whether the layer is an embedding lookup (input is a token id, {@code in} is the vocabulary). */
    public boolean isEmbedding() {
        return this == TTM_EMBEDDING || this == DENSE_EMBEDDING;
    }

    /** The kind for a JSON spelling, or null. */
    public static LayerKind fromKey(String key) {
        for (LayerKind k : values()) {
            if (k.key().equals(key)) {
                return k;
            }
        }
        return null;
    }
}
