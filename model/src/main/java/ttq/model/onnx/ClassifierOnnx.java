package ttq.model.onnx;

import ttq.model.bert.BertConfig;
import ttq.model.bert.BertEncoder;
import ttq.model.bert.BertLayer;
import ttq.model.bert.Pooling;
import ttq.model.bert.SequenceClassifier;
import ttq.model.onnx.proto.Onnx.TensorProto;

/**
 * The ONNX graph of a {@link SequenceClassifier} (a fine-tuned teacher or a distilled TT student):
 * inputs {@code input_ids}, {@code attention_mask} and {@code token_type_ids} [batch, length]
 * int64, output {@code logits} [batch, classes], the same computation as the model's forward in
 * evaluation mode.
 */
final class ClassifierOnnx {
    private ClassifierOnnx() {
    }

    static OnnxGraph graph(SequenceClassifier model, int rows, boolean int4) {
        OnnxGraph g = new OnnxGraph("ttq_sequence_classifier");
        OnnxLayers f = new OnnxLayers(g, rows, int4);
        BertEncoder enc = model.encoder();
        BertConfig c = enc.config();
        int d = c.hidden();
        g.input("input_ids", TensorProto.DataType.INT64, "batch", "length");
        g.input("attention_mask", TensorProto.DataType.INT64, "batch", "length");
        g.input("token_type_ids", TensorProto.DataType.INT64, "batch", "length");
        var state = enc.stateDict();
        String words = enc.ttmWords() != null ? f.ttmLookup("input_ids", enc.ttmWords(), "words")
                : g.node("Gather", "words", new String[] {g.floats("words.table", state.get("words").data(), c.vocab(), d), "input_ids"},
                        OnnxGraph.attr("axis", 0L));
        String positions = f.firstRows(g.floats("positions", state.get("positions").data(), c.maxPositions(), d), "input_ids", "positions");
        String types = g.node("Gather", "token_types", new String[] {g.floats("tokenTypes", state.get("tokenTypes").data(), c.typeVocab(), d),
                "token_type_ids"}, OnnxGraph.attr("axis", 0L));
        String sum = g.node("Add", "embedded", new String[] {g.node("Add", "words_positions", new String[] {words, positions}), types});
        String x = f.layerNorm(sum, enc.embeddingNorm(), "embeddingNorm");
        String padKeys = f.padKeys("attention_mask");
        int i = 0;
        for (BertLayer layer : enc.layers()) {
            x = f.encoderBlock(x, padKeys, java.util.List.of(layer.query(), layer.key(), layer.value(), layer.attentionOut()),
                    layer.attentionNorm(), layer.up(), layer.down(), layer.outputNorm(), c.heads(), c.headDim(), null, "layer" + i++);
        }
        String pooled;
        if (model.pooling() == Pooling.CLS) {
            String first = g.node("Gather", "cls", new String[] {x, g.longScalar("zero", 0)}, OnnxGraph.attr("axis", 1L));
            pooled = g.node("Tanh", "pooled", new String[] {f.linear(first, model.pooler(), "pooler")});
        } else { // mean over the real tokens: sum(h * mask) / max(count, 1)
            String mask = g.node("Unsqueeze", "token_weight", new String[] {g.node("Cast", "mask_float", new String[] {"attention_mask"},
                    OnnxGraph.attr("to", (long) TensorProto.DataType.FLOAT.getNumber())), g.longs("axes", 2)});
            String total = g.node("ReduceSum", "masked_sum", new String[] {g.node("Mul", "masked", new String[] {x, mask}), g.longs("axis1", 1)},
                    OnnxGraph.attr("keepdims", 0L));
            String count = g.node("Max", "token_count", new String[] {g.node("ReduceSum", "count", new String[] {mask, g.longs("axis1", 1)},
                    OnnxGraph.attr("keepdims", 0L)), g.floatConstant("one", 1f)});
            pooled = g.node("Div", "pooled", new String[] {total, count});
        }
        String logits = f.linear(pooled, model.classifier(), "classifier");
        g.output("logits", logits, TensorProto.DataType.FLOAT, "batch", Integer.toString(model.classifier().outFeatures()));
        return g;
    }
}
