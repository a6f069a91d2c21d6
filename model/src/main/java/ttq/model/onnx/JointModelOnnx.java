package ttq.model.onnx;

import ttq.model.onnx.proto.Onnx.TensorProto;
import ttq.model.transformer.EncoderBlock;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.MultiHeadAttention;

/**
 * The ONNX graph of a {@link JointIntentSlotModel}: inputs {@code input_ids} and
 * {@code attention_mask} [batch, length] int64, outputs {@code intent_logits} [batch, intents] and
 * {@code slot_logits} [batch, length, slots], the same computation as the model's forward in
 * evaluation mode.
 */
final class JointModelOnnx {
    private JointModelOnnx() {
    }

    /** Emits the model into a new graph, TT layers planned for {@code rows} rows. */
    static OnnxGraph graph(JointIntentSlotModel model, int rows, boolean int4) {
        OnnxGraph g = new OnnxGraph("ttq_joint_intent_slot");
        OnnxLayers f = new OnnxLayers(g, rows, int4);
        var c = model.config();
        int d = c.hidden();
        g.input("input_ids", TensorProto.DataType.INT64, "batch", "length");
        g.input("attention_mask", TensorProto.DataType.INT64, "batch", "length");
        String tokens = model.ttmTokenEmbedding() != null ? f.ttmLookup("input_ids", model.ttmTokenEmbedding(), "tokens")
                : g.node("Gather", "tokens", new String[] {g.floats("tokens.table", model.denseTokenTable().data(), c.vocab(), d), "input_ids"},
                        OnnxGraph.attr("axis", 0L));
        String positions = f.firstRows(g.floats("positions", model.positionTable().data(), c.maxLength(), d), "input_ids", "positions");
        String x = f.layerNorm(g.node("Add", "embedded", new String[] {tokens, positions}), model.embeddingNorm(), "embeddingNorm");
        String padKeys = f.padKeys("attention_mask");
        int i = 0;
        for (EncoderBlock block : model.blocks()) {
            MultiHeadAttention att = block.attention();
            x = f.encoderBlock(x, padKeys, att.projections(), block.attentionNorm(), block.up(), block.down(), block.ffnNorm(), att.heads(),
                    d / att.heads(), att.quantizers(), "block" + i++);
        }
        String first = g.node("Gather", "first_token", new String[] {x, g.longScalar("zero", 0)}, OnnxGraph.attr("axis", 1L));
        String intentHidden = g.node("Tanh", "intentHidden/tanh", new String[] {f.layer(first, model.intentHidden(), "intentHidden")});
        String intents = f.layer(intentHidden, model.intentOut(), "intentOut");
        String slotHidden = f.gelu(f.layer(x, model.slotHidden(), "slotHidden"), "slotHidden/gelu");
        String slots = f.layer(slotHidden, model.slotOut(), "slotOut");
        g.output("intent_logits", intents, TensorProto.DataType.FLOAT, "batch", Integer.toString(c.intents()));
        g.output("slot_logits", slots, TensorProto.DataType.FLOAT, "batch", "length", Integer.toString(c.slots()));
        return g;
    }
}
