package ttq.model.size;

import java.util.ArrayList;
import java.util.List;

/**
 * The paper's models as {@link ModelSpec}s.
 *
 * <p>{@value #ATIS} (Table 1, section 3.1; the ATIS model of {@code shared/peers/torch_atis_step.py}):
 * vocabulary 800, hidden 768, 2 encoder blocks (12 heads, FFN 3072), intent head (26 classes) and
 * slot head (130 tags). The embedding is a TTM of rank 30 with row modes (5,5,4,4,2) (800) and
 * column modes (3,4,4,4,4) (768): Table 1's "tensor shape (15,20,16,16,8)" lists m_k * n_k per
 * core (5*3, 5*4, 4*4, 4*4, 2*4), which these modes reproduce. Attention Q, K, V, O are TT
 * out (24,32) x in (32,24), FFN up out (48,64) x in (32,24), FFN down out (32,24) x in (48,64), all
 * rank 10 with biases; each classification head is a TT 768x768 rank 10 kept in FP32 (as the
 * paper: "compressed into full-precision tensor cores") followed by a dense output layer. FP32 and
 * uncompressed: learned positional embeddings 64 x 768 (the peer's {@code nn.Embedding(64, D)};
 * sequences use 24 of them), an embedding LayerNorm, two LayerNorms per block, all biases.
 * Default tokens: 768 (batch 32 x length 24).
 *
 * <p>{@value #BERT} (Table 3): vocabulary 30522 as a TTM with row modes (8,10,20,20) (32000, the
 * table padded) and column modes (8,8,4,3) (768), m_k * n_k = (64,80,80,60) as listed; 12 blocks
 * with the TT shapes above; positional 512 x 768 and token-type 2 x 768 tables and LayerNorms in
 * FP32; classification: a TT 768x768 (pooler, kept FP32 like the ATIS heads) then dense 768 -> 2.
 * Table 3 gives no TT ranks and Table 4 compares ranks 50 and 30, so one rank (default
 * {@value #BERT_DEFAULT_RANK}) is used for the embedding and every TT layer. Default tokens: 128.
 */
public final class SizePresets {
    /** Preset name of the ATIS model of Table 1. */
    public static final String ATIS = "atis-table1";
    /** Preset name of the BERT-base model of Table 3. */
    public static final String BERT = "bert-base-table3";
    /** Default rank of the BERT preset. */
    public static final int BERT_DEFAULT_RANK = 50;

    static final int HIDDEN = 768;
    static final int[] ATTN_OUT = {24, 32}, ATTN_IN = {32, 24}, UP_OUT = {48, 64}, UP_IN = {32, 24}, DOWN_OUT = {32, 24},
            DOWN_IN = {48, 64};

    private SizePresets() {
    }

    /** Preset names. */
    public static List<String> names() {
        return List.of(ATIS, BERT);
    }

    /** Whether a name is a preset. */
    public static boolean isPreset(String name) {
        return names().contains(name);
    }

    /** A preset by name; {@code rank} is used by {@value #BERT} only. IllegalArgumentException for unknown names. */
    public static ModelSpec get(String name, int rank) {
        return switch (name) {
            case ATIS -> atisTable1();
            case BERT -> bertBaseTable3(rank);
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (presets: " + String.join(", ", names()) + ")");
        };
    }

    /** The ATIS model of Table 1 (see the class comment). */
    public static ModelSpec atisTable1() {
        List<LayerSpec> l = new ArrayList<>();
        l.add(LayerSpec.ttmEmbedding("embedding.tokens", "embedding", 800, new int[] {5, 5, 4, 4, 2}, new int[] {3, 4, 4, 4, 4}, 30,
                1, true));
        l.add(LayerSpec.denseEmbedding("embedding.positions", "embedding", 64, HIDDEN, 1, false));
        l.add(LayerSpec.other("embedding.norm", "embedding", 2 * HIDDEN, 1));
        encoder(l, 2, 10);
        l.add(LayerSpec.tt("intent.hidden", "head", ATTN_OUT, ATTN_IN, 10, true, 1, false));
        l.add(LayerSpec.dense("intent.out", "head", HIDDEN, 26, true, 1, false));
        l.add(LayerSpec.tt("slot.hidden", "head", ATTN_OUT, ATTN_IN, 10, true, 1, false));
        l.add(LayerSpec.dense("slot.out", "head", HIDDEN, 130, true, 1, false));
        return new ModelSpec(ATIS, 32 * 24, l);
    }

    /** The BERT-base model of Table 3 at one TT/TTM rank (see the class comment). */
    public static ModelSpec bertBaseTable3(int rank) {
        List<LayerSpec> l = new ArrayList<>();
        l.add(LayerSpec.ttmEmbedding("embedding.tokens", "embedding", 30522, new int[] {8, 10, 20, 20}, new int[] {8, 8, 4, 3},
                rank, 1, true));
        l.add(LayerSpec.denseEmbedding("embedding.positions", "embedding", 512, HIDDEN, 1, false));
        l.add(LayerSpec.denseEmbedding("embedding.token_types", "embedding", 2, HIDDEN, 1, false));
        l.add(LayerSpec.other("embedding.norm", "embedding", 2 * HIDDEN, 1));
        encoder(l, 12, rank);
        l.add(LayerSpec.tt("classifier.pooler", "head", ATTN_OUT, ATTN_IN, rank, true, 1, false));
        l.add(LayerSpec.dense("classifier.out", "head", HIDDEN, 2, true, 1, false));
        return new ModelSpec(BERT + "-rank" + rank, 128, l);
    }

    /** {@code blocks} encoder blocks: Q, K, V, O and FFN up/down as quantized TT layers, two LayerNorms each. */
    private static void encoder(List<LayerSpec> l, int blocks, int rank) {
        l.add(LayerSpec.tt("encoder.attention.qkvo", "encoder", ATTN_OUT, ATTN_IN, rank, true, 4 * blocks, true));
        l.add(LayerSpec.tt("encoder.ffn.up", "encoder", UP_OUT, UP_IN, rank, true, blocks, true));
        l.add(LayerSpec.tt("encoder.ffn.down", "encoder", DOWN_OUT, DOWN_IN, rank, true, blocks, true));
        l.add(LayerSpec.other("encoder.norm", "encoder", 2 * HIDDEN, 2 * blocks));
    }
}
