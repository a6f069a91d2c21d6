package ttq.model.bert;

import java.util.List;
import ttq.engine.Tensor;

/**
 * What the encoder computed: the last hidden states [B, L, H], and when asked for, the embedding
 * output and every block's output ({@code hidden.get(0)} = embeddings, {@code hidden.get(i)} = block
 * i) and attention probabilities [B, heads, L, L] per block: what layer-by-layer distillation matches.
 */
public record BertOutput(Tensor last, List<Tensor> hidden, List<Tensor> attention) {
}
