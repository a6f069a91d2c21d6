package ttq.model.transformer;

import java.util.Random;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.Layer;

/**
 * Multi-head self-attention: softmax(Q K^T / sqrt(d_h) + padding mask) V over heads, then the output
 * projection. With quantized attention, Q, K, V and the probabilities pass INT8 quantizers.
 */
public final class MultiHeadAttention extends Module {
    private final Layer query, key, value, output;
    private final LearnedScaleQuantizer qQuant, kQuant, vQuant, pQuant;
    private final int heads, headDim;
    private final float dropout;
    private final DropoutSource dropoutSource;

    MultiHeadAttention(TransformerConfig c, DropoutSource dropoutSource, Random random) {
        int d = c.hidden();
        this.heads = c.heads();
        this.headDim = d / heads;
        this.dropout = c.dropout();
        this.dropoutSource = dropoutSource;
        query = (Layer) module("query", LayerFactory.linear(c, d, d, c.attnOutModes(), c.attnInModes(), true, random));
        key = (Layer) module("key", LayerFactory.linear(c, d, d, c.attnOutModes(), c.attnInModes(), true, random));
        value = (Layer) module("value", LayerFactory.linear(c, d, d, c.attnOutModes(), c.attnInModes(), true, random));
        output = (Layer) module("output", LayerFactory.linear(c, d, d, c.attnOutModes(), c.attnInModes(), true, random));
        boolean q = c.quantizeAttention() && c.format().equals("tt");
        qQuant = q ? module("queryQuantizer", new LearnedScaleQuantizer(8)) : null;
        kQuant = q ? module("keyQuantizer", new LearnedScaleQuantizer(8)) : null;
        vQuant = q ? module("valueQuantizer", new LearnedScaleQuantizer(8)) : null;
        pQuant = q ? module("probabilityQuantizer", new LearnedScaleQuantizer(8)) : null;
    }

    /** x [B, L, D]; padMask [B, 1, 1, L] with 1 at padding positions. */
    public Tensor forward(Tensor x, Tensor padMask) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            // q, k, v stay [B, L, H * dh]: the fused attention ops read the heads in place
            Tensor q = query.forward(x), k = key.forward(x), v = value.forward(x);
            if (qQuant != null) { // one scale per tensor: the same codes in either layout
                q = qQuant.forward(q);
                k = kQuant.forward(k);
                v = vQuant.forward(v);
            }
            Tensor p = Ops.attentionScores(q, k, padMask, heads, (float) (1.0 / Math.sqrt(headDim)));
            if (pQuant != null) {
                p = pQuant.forward(p);
            }
            p = Ops.dropout(p, dropout, isTraining(), dropoutSource.random());
            return output.forward(Ops.attentionContext(p, v, heads));
        }
    }

    /** The query, key, value and output projections, in that order. */
    public java.util.List<Layer> projections() {
        return java.util.List.of(query, key, value, output);
    }

    /** The INT8 quantizers of Q, K, V and the probabilities, in that order, or null without quantized attention. */
    public java.util.List<LearnedScaleQuantizer> quantizers() {
        return qQuant == null ? null : java.util.List.of(qQuant, kQuant, vQuant, pQuant);
    }

    /** Number of heads. */
    public int heads() {
        return heads;
    }
}
