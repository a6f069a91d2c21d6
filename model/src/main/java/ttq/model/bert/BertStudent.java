package ttq.model.bert;

import java.util.Map;
import java.util.Random;
import ttq.engine.Tensor;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.Layer;
import ttq.model.quant.TernaryLinear;
import ttq.model.tt.ModeFactoring;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;

/**
 * Students of a BERT teacher for distillation:
 * <ul>
 * <li>{@code TT}: the teacher's architecture with every block linear a TT layer (output modes
 * first, two modes per side as the paper's Table 3) and the word table a TTM embedding (three
 * modes per side), cores quantized to {@code bits} with one learned scale per layer and INT8 layer
 * inputs when bits &lt; 32; initialised randomly or by TT-SVD of the teacher's weights;</li>
 * <li>{@code XTC}: XTC's extreme baseline: half the teacher's blocks (student block i starts from
 * teacher block 2i+1), ternary (or binary) block weights, initialised from the teacher; the word
 * table stays full precision.</li>
 * </ul>
 */
public final class BertStudent {
    private BertStudent() {
    }

    /** TT: tensor-train layers with quantized cores (the paper); XTC: ternary or binary dense layers. */
    public enum Kind { TT, XTC }

    /** {@code layers} only matters for XTC (0: half the teacher's); {@code svdInit} only for TT. */
    public record Spec(Kind kind, int rank, int bits, int embeddingRank, boolean svdInit, boolean binary, int layers) {
        /** A builder starting from the paper's Table 4 student: TT, rank 30, INT8, TTM rank 30, TT-SVD initialisation. */
        public static Builder builder() {
            return new Builder();
        }

        /** Builds a {@link Spec} field by field. */
        public static final class Builder {
            private Kind kind = Kind.TT;
            private int rank = 30, bits = 8, embeddingRank = 30, layers;
            private boolean svdInit = true, binary;

            private Builder() {
            }

            /** TT (default) or XTC. */
            public Builder kind(Kind k) {
                this.kind = k;
                return this;
            }

            /** TT rank of every block linear (default 30). */
            public Builder rank(int r) {
                this.rank = r;
                return this;
            }

            /** Core precision: 32, 8 (default), 4 or 2. */
            public Builder bits(int b) {
                this.bits = b;
                return this;
            }

            /** TTM rank of the word table (default 30). */
            public Builder embeddingRank(int r) {
                this.embeddingRank = r;
                return this;
            }

            /** TT-SVD of the teacher's weights (default) or a random start. */
            public Builder svdInit(boolean on) {
                this.svdInit = on;
                return this;
            }

            /** XTC with binary instead of ternary weights. */
            public Builder binary(boolean on) {
                this.binary = on;
                return this;
            }

            /** XTC depth (0, the default: half the teacher's). */
            public Builder layers(int n) {
                this.layers = n;
                return this;
            }

            /** The spec (validated). */
            public Spec build() {
                return new Spec(kind, rank, bits, embeddingRank, svdInit, binary, layers);
            }
        }

        /** Validates ranks, bits and depth. */
        public Spec {
            if (kind == Kind.TT && (rank < 1 || embeddingRank < 1)) {
                throw new IllegalArgumentException("TT student: ranks must be positive, got " + rank + " / " + embeddingRank);
            }
            if (bits != 32 && bits != 8 && bits != 4 && bits != 2) {
                throw new IllegalArgumentException("student bits must be 32, 8, 4 or 2, got " + bits);
            }
        }
    }

    /**
     * A student classifier of a fine-tuned teacher: the encoder {@link #build} makes from the teacher's
     * weights, the teacher's pooling, and its classification head copied when the student starts from
     * the teacher (TT-SVD or XTC), else a fresh one from seed.
     */
    public static SequenceClassifier classifier(SequenceClassifier teacher, Spec spec, long seed) {
        SequenceClassifier student = new SequenceClassifier(build(teacher.encoder().config(), spec, BertWeights.toHuggingFace(teacher.encoder()),
                seed), teacher.pooling(), 2, seed);
        if (spec.svdInit() || spec.kind() == Kind.XTC) {
            student.copyHeadFrom(teacher);
        }
        return student;
    }

    /** Student config: the teacher's, with XTC's layer count. */
    public static BertConfig config(BertConfig teacher, Spec spec) {
        if (spec.kind() == Kind.XTC) {
            int n = spec.layers() > 0 ? spec.layers() : Math.max(1, teacher.layers() / 2);
            if (n > teacher.layers()) {
                throw new IllegalArgumentException("XTC student: " + n + " layers, the teacher has " + teacher.layers());
            }
            return teacher.withLayers(n);
        }
        return teacher;
    }

    /** Which teacher block student block i is matched to (and, for XTC, initialised from). */
    public static int teacherBlock(int studentBlock, int studentLayers, int teacherLayers) {
        return (studentBlock + 1) * teacherLayers / studentLayers - 1;
    }

    /** Builds the student; {@code teacher} holds the teacher's weights under Hugging Face names (needed for SVD and XTC init). */
    public static BertEncoder build(BertConfig t, Spec spec, Map<String, Tensor> teacher, long seed) {
        BertConfig c = config(t, spec);
        Random init = new Random(seed);
        BertEncoder student;
        if (spec.kind() == Kind.XTC) {
            student = new BertEncoder(c, null, (i, dropout) -> {
                String p = "encoder.layer." + teacherBlock(i, c.layers(), t.layers()) + ".";
                return new BertLayer(c, ternary(teacher, p + "attention.self.query", spec), ternary(teacher, p + "attention.self.key", spec),
                        ternary(teacher, p + "attention.self.value", spec), ternary(teacher, p + "attention.output.dense", spec),
                        ternary(teacher, p + "intermediate.dense", spec), ternary(teacher, p + "output.dense", spec), dropout);
            }, seed);
            copyDense(student, teacher, c, t);
            return student;
        }
        int[] h = ModeFactoring.two(c.hidden()), f = ModeFactoring.two(c.intermediate());
        int[] hOut = h, hIn = {h[1], h[0]}, fOut = f, fIn = {f[1], f[0]};
        int[] rowModes = ModeFactoring.rowsCovering(c.vocab()), colModes = ModeFactoring.three(c.hidden());
        TtmEmbedding words = spec.svdInit()
                ? TtmEmbedding.fromDense(need(teacher, "embeddings.word_embeddings.weight"), rowModes, colModes, spec.embeddingRank(), 0)
                : new TtmEmbedding(c.vocab(), rowModes, colModes, spec.embeddingRank(), init);
        if (spec.bits() < 32) {
            words.quantizeWeights(new LearnedScaleQuantizer(spec.bits()));
        }
        student = new BertEncoder(c, words, (i, dropout) -> {
            String p = "encoder.layer." + i + ".";
            return new BertLayer(c, tt(teacher, p + "attention.self.query", hOut, hIn, spec, init),
                    tt(teacher, p + "attention.self.key", hOut, hIn, spec, init), tt(teacher, p + "attention.self.value", hOut, hIn, spec, init),
                    tt(teacher, p + "attention.output.dense", hOut, hIn, spec, init), tt(teacher, p + "intermediate.dense", fOut, hIn, spec, init),
                    tt(teacher, p + "output.dense", hOut, fIn, spec, init), dropout);
        }, seed);
        if (spec.svdInit()) {
            copyDense(student, teacher, c, t);
        }
        return student;
    }

    private static Layer tt(Map<String, Tensor> teacher, String name, int[] outModes, int[] inModes, Spec spec, Random init) {
        TtLinear layer = spec.svdInit()
                ? TtLinear.fromDense(need(teacher, name + ".weight"), outModes, inModes, spec.rank(), 0, need(teacher, name + ".bias"))
                : new TtLinear(outModes, inModes, spec.rank(), true, init);
        if (spec.bits() < 32) {
            layer.quantizeWeights(new LearnedScaleQuantizer(spec.bits()));
            layer.quantizeInput(new LearnedScaleQuantizer(8));
        }
        return layer;
    }

    private static Layer ternary(Map<String, Tensor> teacher, String name, Spec spec) {
        return new TernaryLinear(BertWeights.transposed(need(teacher, name + ".weight")), need(teacher, name + ".bias"), spec.binary());
    }

    /** Copies the teacher's tensors the student keeps dense (embedding tables, layer norms; XTC: the word table too). */
    private static void copyDense(BertEncoder student, Map<String, Tensor> teacher, BertConfig c, BertConfig t) {
        Map<String, Tensor> state = student.stateDict();
        copy(state, "positions", teacher, "embeddings.position_embeddings.weight");
        copy(state, "tokenTypes", teacher, "embeddings.token_type_embeddings.weight");
        copy(state, "embeddingNorm.weight", teacher, "embeddings.LayerNorm.weight");
        copy(state, "embeddingNorm.bias", teacher, "embeddings.LayerNorm.bias");
        if (state.containsKey("words")) {
            copy(state, "words", teacher, "embeddings.word_embeddings.weight");
        }
        for (int i = 0; i < c.layers(); i++) {
            String p = "encoder.layer." + teacherBlock(i, c.layers(), t.layers()) + ".", s = "layer" + i + ".";
            for (String[] n : new String[][] {{"attention.output.LayerNorm", "attentionNorm"}, {"output.LayerNorm", "outputNorm"}}) {
                copy(state, s + n[1] + ".weight", teacher, p + n[0] + ".weight");
                copy(state, s + n[1] + ".bias", teacher, p + n[0] + ".bias");
            }
        }
    }

    private static void copy(Map<String, Tensor> state, String ours, Map<String, Tensor> teacher, String theirs) {
        Tensor dst = state.get(ours), src = need(teacher, theirs);
        if (dst == null || dst.numel() != src.numel()) {
            throw new IllegalArgumentException("student tensor " + ours + " does not fit teacher tensor " + theirs);
        }
        System.arraycopy(src.data(), 0, dst.data(), 0, src.numel());
    }

    private static Tensor need(Map<String, Tensor> teacher, String name) {
        if (teacher == null) {
            throw new IllegalArgumentException("this student initialisation needs the teacher's weights");
        }
        Tensor t = teacher.get(name);
        if (t == null) {
            throw new IllegalArgumentException("teacher tensor " + name + " is missing");
        }
        return t;
    }
}
