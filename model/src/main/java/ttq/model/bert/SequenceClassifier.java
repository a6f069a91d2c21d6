package ttq.model.bert;

import java.util.Random;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;
import ttq.model.Linear;

/**
 * A sentence (pair) classifier on a BERT encoder, as Hugging Face's BertForSequenceClassification:
 * pooled vector (see {@link Pooling}), dropout, a linear layer to the class logits.
 */
public final class SequenceClassifier extends Module {
    private final BertEncoder encoder;
    private final Pooling pooling;
    private final Linear pooler, classifier;
    private final float dropout;

    /** A classifier of classes outputs on encoder's pooled output, head initialised from seed. */
    public SequenceClassifier(BertEncoder encoder, Pooling pooling, int classes, long seed) {
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        }
        Random init = new Random(seed);
        int d = encoder.config().hidden();
        this.encoder = module("encoder", encoder);
        this.pooling = pooling;
        this.pooler = pooling == Pooling.CLS ? module("pooler", new Linear(d, d, true, init)) : null;
        this.classifier = module("classifier", new Linear(d, classes, true, init));
        this.dropout = encoder.config().dropout();
    }

    /** The encoder under the head. */
    public BertEncoder encoder() {
        return encoder;
    }

    /** How the encoder's hidden states become one vector. */
    public Pooling pooling() {
        return pooling;
    }

    /** The pooler (CLS pooling), or null with mean pooling. */
    public Linear pooler() {
        return pooler;
    }

    /** The output layer to the class logits. */
    public Linear classifier() {
        return classifier;
    }

    /** Reseeds every dropout mask of encoder and head (once per training step, for exact resumption). */
    public void reseedDropout(long seed, int epoch, int step) {
        encoder.reseedDropout(seed, epoch, step);
    }

    /** Copies the pooler and classifier weights of another classifier of the same width (a student starting from its teacher's head). */
    public void copyHeadFrom(SequenceClassifier other) {
        if (other.pooling != pooling || other.classifier.outFeatures() != classifier.outFeatures()
                || other.classifier.inFeatures() != classifier.inFeatures()) {
            throw new IllegalArgumentException("classifier heads differ (pooling or sizes)");
        }
        copy(other.classifier, classifier);
        if (pooler != null) {
            copy(other.pooler, pooler);
        }
    }

    private static void copy(Linear from, Linear to) {
        System.arraycopy(from.weight().data(), 0, to.weight().data(), 0, from.weight().numel());
        System.arraycopy(from.bias().data(), 0, to.bias().data(), 0, from.bias().numel());
    }

    /** Class logits and, with {@code keepLayers}, the encoder's per-layer outputs (distillation). */
    public record Outputs(Tensor logits, BertOutput encoder) {
    }

    /** Logits after running only the first {@code blocks} encoder blocks (logits are null unless all blocks ran). */
    public Outputs forwardLayers(BertInput in, int blocks) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            BertOutput out = encoder.forward(in, true, blocks);
            return new Outputs(blocks == encoder.config().layers() ? logits(in, out.last()) : null, out);
        }
    }

    /** Class logits [B, classes]. */
    public Tensor forward(BertInput in) {
        return logits(in, encoder.forward(in));
    }

    /** Class logits from already computed last hidden states [B, L, H] of {@code in}. */
    public Tensor logits(BertInput in, Tensor hidden) {
        return classifier.forward(Ops.dropout(pool(in, hidden), dropout, isTraining(), encoder.dropoutSource().random()));
    }

    private Tensor pool(BertInput in, Tensor h) {
        int b = in.batch(), l = in.length(), d = h.dim(2);
        if (pooling == Pooling.CLS) {
            return pooler.forward(h.slice(1, 0, 1).reshape(b, d)).tanh();
        }
        float[] w = new float[b * l];
        for (int i = 0; i < b; i++) {
            int n = 0;
            for (int t = 0; t < l; t++) {
                n += in.mask()[i * l + t];
            }
            for (int t = 0; t < l; t++) {
                w[i * l + t] = in.mask()[i * l + t] / (float) Math.max(n, 1);
            }
        }
        return h.mul(Tensor.wrap(w, b, l, 1)).sum(false, 1);
    }

    /**
     * FLOPs of the encoder's linear layers for one sequence of {@code tokens} tokens, as the paper's
     * Table 4 counts them (matrix products in encoders only): 2 in out per token for a dense or
     * ternary layer, the executed order's count for a TT layer (its cores are merged once per sequence).
     */
    public double encoderFlops(int tokens) {
        double f = 0;
        for (ttq.engine.nn.Module m : encoder.namedModules().values()) {
            if (m instanceof ttq.model.tt.TtLinear tt) {
                f += tt.usesFusedPath(tokens) ? tt.fusedFlops(tokens) : tt.plan(tokens).flops();
            } else if (m instanceof ttq.model.Linear l) {
                f += 2.0 * tokens * l.inFeatures() * l.outFeatures();
            } else if (m instanceof ttq.model.quant.TernaryLinear l) {
                f += 2.0 * tokens * l.weight().numel();
            }
        }
        return f;
    }
}
