package ttq.model.transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import ttq.model.size.LayerSpec;
import ttq.model.size.ModelSpec;
import ttq.model.tt.ModeFactoring;

/**
 * Shape and compression of the joint intent/slot transformer (BERT-style, post-LN). With
 * {@code format = "tt"} the attention, feed-forward and first classifier linears are TT layers and
 * the token embedding a TTM embedding; {@code bits} 8/4/2 quantizes their cores (the classifier
 * TT stays FP32, as in the paper) and, when {@code quantizeActivations}, the inputs of the
 * compressed linears to INT8; {@code quantizeAttention} puts Q, K, V and the attention
 * probabilities through INT8 quantizers.
 */
public record TransformerConfig(int vocab, int hidden, int layers, int heads, int ffn, int maxLength, float dropout,
                                int intents, int slots, String format, int bits, int ttRank, int embeddingRank,
                                int[] attnOutModes, int[] attnInModes, int[] ffnOutModes, int[] ffnInModes,
                                int[] embeddingRowModes, int[] embeddingColModes,
                                boolean quantizeActivations, boolean quantizeAttention, String embedding) {
    /**
     * Validates the sizes, dropout, format and bits. {@code embedding} is the token embedding's kind:
     * "ttm" (a TTM embedding, the default of the TT format) or "dense" (a full table; the dense
     * format's only kind); null picks the format's default (files written before the option existed).
     */
    public TransformerConfig {
        if (embedding == null) {
            embedding = "tt".equals(format) ? "ttm" : "dense";
        }
        if (!embedding.equals("ttm") && !embedding.equals("dense")) {
            throw new IllegalArgumentException("embedding must be ttm or dense, got '" + embedding + "'");
        }
        if ("dense".equals(format) && embedding.equals("ttm")) {
            throw new IllegalArgumentException("a TTM embedding needs the TT model (--model tt)");
        }
        if (vocab < 2 || hidden < 1 || layers < 1 || heads < 1 || ffn < 1 || maxLength < 1 || intents < 1 || slots < 1 || ttRank < 1
                || embeddingRank < 1) {
            throw new IllegalArgumentException("vocab >= 2 and hidden, layers, heads, ffn, maxLength, intents, slots, ttRank, "
                    + "embeddingRank >= 1 are required");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        if ((long) vocab * hidden > 1L << 31 || (long) hidden * ffn > 1L << 31 || (long) maxLength * hidden > 1L << 31) {
            throw new IllegalArgumentException("model too large for float[] tensors (vocab, hidden, ffn, maxLength)");
        }
        if (format == null || (!format.equals("dense") && !format.equals("tt"))) {
            throw new IllegalArgumentException("model format must be dense or tt, got '" + format + "'");
        }
        if (bits != 32 && bits != 8 && bits != 4 && bits != 2) {
            throw new IllegalArgumentException("bits must be 32, 8, 4 or 2, got " + bits);
        }
        if (format.equals("dense") && bits != 32) {
            throw new IllegalArgumentException("quantization applies to the tensor-train model (--model tt); dense runs at 32 bits");
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden " + hidden + " is not divisible by " + heads + " heads");
        }
        if (format.equals("tt")) {
            check("attention out modes", attnOutModes, hidden);
            check("attention in modes", attnInModes, hidden);
            check("feed-forward out modes", ffnOutModes, ffn);
            check("feed-forward in modes", ffnInModes, hidden);
        }
        if (embedding.equals("ttm")) {
            check("embedding column modes", embeddingColModes, hidden);
            if (embeddingRowModes == null || embeddingRowModes.length != embeddingColModes.length) {
                throw new IllegalArgumentException("embedding row modes must be as many as its column modes");
            }
            if (product(embeddingRowModes) < vocab) {
                throw new IllegalArgumentException("embedding row modes " + Arrays.toString(embeddingRowModes)
                        + " multiply to less than the vocabulary " + vocab);
            }
        }
    }

    /** The configuration of the old shape (before {@code embedding}): the format's default embedding. */
    public TransformerConfig(int vocab, int hidden, int layers, int heads, int ffn, int maxLength, float dropout, int intents, int slots,
                             String format, int bits, int ttRank, int embeddingRank, int[] attnOutModes, int[] attnInModes,
                             int[] ffnOutModes, int[] ffnInModes, int[] embeddingRowModes, int[] embeddingColModes,
                             boolean quantizeActivations, boolean quantizeAttention) {
        this(vocab, hidden, layers, heads, ffn, maxLength, dropout, intents, slots, format, bits, ttRank, embeddingRank, attnOutModes,
                attnInModes, ffnOutModes, ffnInModes, embeddingRowModes, embeddingColModes, quantizeActivations, quantizeAttention, null);
    }

    /** Whether the token embedding is a TTM embedding (else a dense table). */
    public boolean ttmEmbedding() {
        return embedding.equals("ttm");
    }

    private static void check(String what, int[] modes, int size) {
        if (modes == null || modes.length == 0) {
            throw new IllegalArgumentException(what + " are missing");
        }
        if (product(modes) != size) {
            throw new IllegalArgumentException(what + " " + Arrays.toString(modes) + " multiply to " + product(modes) + ", not " + size);
        }
    }

    /** Parameters of the same model with every layer dense and the embedding a full table (the size baseline). */
    public long denseParameterCount() {
        long d = hidden, f = ffn;
        long embeddings = (long) vocab * d + (long) maxLength * d + 2 * d;
        long block = 4 * (d * d + d) + (d * f + f) + (f * d + d) + 4 * d;
        long headsParams = (d * d + d) + (d * intents + intents) + (d * d + d) + (d * slots + slots);
        return embeddings + layers * block + headsParams;
    }

    /**
     * This model as a {@link ModelSpec} for size and FLOPs accounting ({@code ttq size}): the same
     * layers, shapes, ranks and quantized/FP32 split as the modules built from it, so the bytes it
     * predicts at {@link #bits()} are the bytes {@code ttq export} writes (plus the file header).
     * {@code tokens} is the forward batch the FLOPs are counted for.
     */
    public ModelSpec sizeSpec(String name, int tokens) {
        boolean tt = format.equals("tt");
        boolean q = tt && bits < 32;
        List<LayerSpec> l = new ArrayList<>();
        l.add(ttmEmbedding() ? LayerSpec.ttmEmbedding("embedding.tokens", "embedding", vocab, embeddingRowModes, embeddingColModes,
                embeddingRank, 1, q) : LayerSpec.denseEmbedding("embedding.tokens", "embedding", vocab, hidden, 1, false));
        l.add(LayerSpec.denseEmbedding("embedding.positions", "embedding", maxLength, hidden, 1, false));
        l.add(LayerSpec.other("embedding.norm", "embedding", 2L * hidden, 1));
        if (tt) {
            l.add(LayerSpec.tt("encoder.attention.qkvo", "encoder", attnOutModes, attnInModes, ttRank, true, 4 * layers, q));
            l.add(LayerSpec.tt("encoder.ffn.up", "encoder", ffnOutModes, ffnInModes, ttRank, true, layers, q));
            l.add(LayerSpec.tt("encoder.ffn.down", "encoder", ffnInModes, ffnOutModes, ttRank, true, layers, q));
        } else {
            l.add(LayerSpec.dense("encoder.attention.qkvo", "encoder", hidden, hidden, true, 4 * layers, false));
            l.add(LayerSpec.dense("encoder.ffn.up", "encoder", hidden, ffn, true, layers, false));
            l.add(LayerSpec.dense("encoder.ffn.down", "encoder", ffn, hidden, true, layers, false));
        }
        l.add(LayerSpec.other("encoder.norm", "encoder", 2L * hidden, 2 * layers));
        // Quantizer state kept in FP32: a scale and an "initialised" flag per activation quantizer (inputs of the 6
        // linears of a block when weights are quantized; Q, K, V, P whenever a TT model quantizes attention), and
        // the flag of each weight quantizer (its scale is counted with its layer).
        long activation = (q && quantizeActivations ? 6L * layers : 0) + (tt && quantizeAttention ? 4L * layers : 0);
        long state = 2 * activation + (q ? (ttmEmbedding() ? 1 : 0) + 6L * layers : 0);
        if (state > 0) {
            l.add(LayerSpec.other("quantizer.state", "encoder", state, 1));
        }
        for (String head : new String[] {"intent", "slot"}) {
            l.add(tt ? LayerSpec.tt(head + ".hidden", "head", attnOutModes, attnInModes, ttRank, true, 1, false)
                    : LayerSpec.dense(head + ".hidden", "head", hidden, hidden, true, 1, false));
            l.add(LayerSpec.dense(head + ".out", "head", hidden, head.equals("intent") ? intents : slots, true, 1, false));
        }
        return new ModelSpec(name, tokens, l);
    }

    static int product(int[] m) {
        int p = 1;
        for (int x : m) {
            p *= x;
        }
        return p;
    }

    /** This configuration with other TT ranks: {@code ttRank} for the linears, {@code embeddingRank} for the TTM embedding. */
    public TransformerConfig withRanks(int ttRank, int embeddingRank) {
        return new TransformerConfig(vocab, hidden, layers, heads, ffn, maxLength, dropout, intents, slots, format, bits, ttRank,
                embeddingRank, attnOutModes, attnInModes, ffnOutModes, ffnInModes, embeddingRowModes, embeddingColModes,
                quantizeActivations, quantizeAttention, embedding);
    }

    /** TTM parameters' share of the dense table that Table 1's rank 30 gives on ATIS (47,610 of 869 x 768: 7.1%). */
    public static final double AUTO_EMBEDDING_SHARE = 47_610.0 / (869 * 768);

    /**
     * The TTM rank {@code --embedding-rank auto} picks: the smallest whose cores hold at least
     * {@link #AUTO_EMBEDDING_SHARE} of the dense table's parameters (vocabulary x hidden), so the
     * embedding grows with the vocabulary as it does on ATIS (rank 30 there). At least 1, at most 256.
     */
    public int autoEmbeddingRank() {
        double target = AUTO_EMBEDDING_SHARE * vocab * hidden;
        for (int r = 1; r < 256; r++) {
            if (ttmParameters(r) >= target * (1 - 1e-9)) {
                return r;
            }
        }
        return 256;
    }

    /** Parameters of the TTM embedding at bond rank r (every bond; the row and column modes of this configuration). */
    public long ttmParameters(int r) {
        long p = 0;
        int d = embeddingRowModes.length;
        for (int k = 0; k < d; k++) {
            p += (long) (k == 0 ? 1 : r) * embeddingRowModes[k] * embeddingColModes[k] * (k == d - 1 ? 1 : r);
        }
        return p;
    }

    /** This configuration with another token embedding: "ttm" or "dense". */
    public TransformerConfig withEmbedding(String kind) {
        return new TransformerConfig(vocab, hidden, layers, heads, ffn, maxLength, dropout, intents, slots, format, bits, ttRank,
                embeddingRank, attnOutModes, attnInModes, ffnOutModes, ffnInModes, embeddingRowModes, embeddingColModes,
                quantizeActivations, quantizeAttention, kind);
    }

    /**
     * A builder starting from the paper's Table 1 setting: hidden 768, 2 blocks, 12 heads, FFN 3072,
     * 64 positions, dropout 0.1, TT format at 8 bits (INT8 layer inputs and attention), TT rank 10,
     * TTM rank 30. The vocabulary, intent and slot-tag counts have no default. Modes left unset are
     * Table 1's at hidden 768 / FFN 3072 and balanced splits otherwise ({@link ModeFactoring}).
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link TransformerConfig} field by field; {@link #build()} names the first bad field. */
    public static final class Builder {
        private Integer vocab, intents, slots;
        private int hidden = 768, layers = 2, heads = 12, ffn = 3072, maxLength = 64, bits = 8, ttRank = 10, embeddingRank = 30;
        private float dropout = 0.1f;
        private String format = "tt";
        private int[] attnOut, attnIn, ffnOut, ffnIn, embeddingRows, embeddingCols;
        private Boolean quantizeActivations, quantizeAttention;

        private Builder() {
        }

        /** Word vocabulary size (with padding and unknown; required). */
        public Builder vocab(int v) {
            this.vocab = v;
            return this;
        }

        /** Number of intents (required). */
        public Builder intents(int n) {
            this.intents = n;
            return this;
        }

        /** Number of slot tags (required). */
        public Builder slots(int n) {
            this.slots = n;
            return this;
        }

        /** Hidden width (default 768). */
        public Builder hidden(int h) {
            this.hidden = h;
            return this;
        }

        /** Encoder blocks (default 2). */
        public Builder layers(int n) {
            this.layers = n;
            return this;
        }

        /** Attention heads (default 12; must divide the hidden width). */
        public Builder heads(int n) {
            this.heads = n;
            return this;
        }

        /** Feed-forward width (default 3072). */
        public Builder ffn(int n) {
            this.ffn = n;
            return this;
        }

        /** Positions, the longest utterance (default 64). */
        public Builder maxLength(int n) {
            this.maxLength = n;
            return this;
        }

        /** Dropout probability (default 0.1). */
        public Builder dropout(float p) {
            this.dropout = p;
            return this;
        }

        /** "tt" (default) or "dense". */
        public Builder format(String f) {
            this.format = f;
            return this;
        }

        /** Precision of the compressed layers: 32, 8 (default), 4 or 2. */
        public Builder bits(int b) {
            this.bits = b;
            return this;
        }

        /** TT rank of the linears (default 10). */
        public Builder ttRank(int r) {
            this.ttRank = r;
            return this;
        }

        /** TTM rank of the token embedding (default 30). */
        public Builder embeddingRank(int r) {
            this.embeddingRank = r;
            return this;
        }

        /** Output and input modes of the attention linears (hidden x hidden). */
        public Builder attentionModes(int[] out, int[] in) {
            this.attnOut = out.clone();
            this.attnIn = in.clone();
            return this;
        }

        /** Output and input modes of the feed-forward up linear (hidden -> ffn; the down linear swaps them). */
        public Builder ffnModes(int[] out, int[] in) {
            this.ffnOut = out.clone();
            this.ffnIn = in.clone();
            return this;
        }

        /** Row (vocabulary) and column (hidden) modes of the TTM embedding. */
        public Builder embeddingModes(int[] rows, int[] cols) {
            this.embeddingRows = rows.clone();
            this.embeddingCols = cols.clone();
            return this;
        }

        /** Whether compressed linears quantize their inputs to INT8 (default: when bits &lt; 32). */
        public Builder quantizeActivations(boolean on) {
            this.quantizeActivations = on;
            return this;
        }

        /** Whether Q, K, V and the attention probabilities pass INT8 quantizers (default: when bits &lt; 32). */
        public Builder quantizeAttention(boolean on) {
            this.quantizeAttention = on;
            return this;
        }

        /** The configuration; {@link IllegalArgumentException} names the first field out of range. */
        public TransformerConfig build() {
            need("vocab", vocab, 2);
            need("intents", intents, 1);
            need("slots", slots, 1);
            need("hidden", hidden, 1);
            need("layers", layers, 1);
            need("heads", heads, 1);
            need("ffn", ffn, 1);
            need("maxLength", maxLength, 1);
            need("ttRank", ttRank, 1);
            need("embeddingRank", embeddingRank, 1);
            if (hidden % heads != 0) {
                throw new IllegalArgumentException("heads: " + heads + " does not divide hidden " + hidden);
            }
            boolean table1 = hidden == 768 && ffn == 3072;
            int[] aOut = attnOut, aIn = attnIn, fOut = ffnOut, fIn = ffnIn, eCols = embeddingCols, eRows = embeddingRows;
            if (aOut == null) {
                int[] h = table1 ? new int[] {24, 32} : ModeFactoring.two(hidden);
                aOut = h;
                aIn = new int[] {h[1], h[0]};
            }
            if (fOut == null) {
                fOut = table1 ? new int[] {48, 64} : ModeFactoring.two(ffn);
                fIn = aIn;
            }
            if (eCols == null) {
                eCols = table1 ? new int[] {3, 4, 4, 4, 4} : ModeFactoring.three(hidden);
            }
            if (eRows == null) {
                eRows = table1 && eCols.length == 5 ? new int[] {5, 5, 4, 4, 2} : new int[eCols.length];
                if (eRows[0] == 0) {
                    java.util.Arrays.fill(eRows, (int) Math.ceil(Math.pow(vocab, 1.0 / eCols.length)));
                }
                growToCover(eRows, vocab);
            }
            return new TransformerConfig(vocab, hidden, layers, heads, ffn, maxLength, dropout, intents, slots, format, bits, ttRank,
                    embeddingRank, aOut, aIn, fOut, fIn, eRows, eCols, quantizeActivations != null ? quantizeActivations : bits < 32,
                    quantizeAttention != null ? quantizeAttention : bits < 32);
        }

        private static void need(String field, Integer value, int min) {
            if (value == null) {
                throw new IllegalArgumentException(field + " is required");
            }
            if (value < min) {
                throw new IllegalArgumentException(field + " must be >= " + min + ", got " + value);
            }
        }
    }

    /** Grows the smallest row mode (first on ties) until the modes' product covers the vocabulary. */
    private static void growToCover(int[] rows, int vocab) {
        while (product(rows) < vocab) {
            int smallest = 0;
            for (int i = 1; i < rows.length; i++) {
                if (rows[i] < rows[smallest]) {
                    smallest = i;
                }
            }
            rows[smallest]++;
        }
    }

    /**
     * The paper's Table 1 setting for ATIS: hidden 768, 2 encoders, 12 heads, FFN 3072; TT rank 10
     * for attention (24,32)x(32,24), feed-forward (48,64)x(32,24) and the classifier's first linear;
     * TTM rank 30 embedding with column modes (3,4,4,4,4) and row modes (5,5,4,4,2) = 800, grown
     * (smallest mode first) until they cover the vocabulary.
     */
    public static TransformerConfig atisTable1(int vocab, int intents, int slots, String format, int bits, int maxLength,
                                               float dropout) {
        int[] rows = {5, 5, 4, 4, 2};
        growToCover(rows, vocab);
        return new TransformerConfig(vocab, 768, 2, 12, 3072, maxLength, dropout, intents, slots, format, bits, 10, 30,
                new int[] {24, 32}, new int[] {32, 24}, new int[] {48, 64}, new int[] {32, 24}, rows, new int[] {3, 4, 4, 4, 4},
                bits != 32, bits != 32);
    }
}
