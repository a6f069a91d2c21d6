package ttq.model.infer;

import java.util.ArrayList;
import java.util.List;
import ttq.model.data.JointBatcher;
import ttq.model.data.Utterance;
import ttq.model.metrics.ConllEval;
import ttq.model.metrics.IntentSlotMetrics;
import ttq.model.train.BioConstrainedDecoder;
import ttq.model.train.JointEvaluator;
import ttq.model.train.SlotDecoding;

/**
 * Scores a {@link JointRuntime} on a split exactly as {@link JointEvaluator} scores the training
 * network: the same batches of 64 (so the same truncation at the batcher's maximum length), the
 * same slot decoding and the same metrics, so the two results compare prediction by prediction.
 */
public final class RuntimeEvaluator {
    private RuntimeEvaluator() {
    }

    /** Intent accuracy, conlleval slot F1, slot token accuracy and frame accuracy of the runtime on split, with its predictions. */
    public static JointEvaluator.Result evaluate(JointRuntime runtime, JointBatcher batcher, List<Utterance> split, SlotDecoding decoding,
                                                 int threads) {
        SlotDecoding.Decoder slotDecoder = decoding.decoder(batcher.slots().names());
        RuntimeSession session = runtime.newSession(threads);
        List<String> predIntents = new ArrayList<>();
        List<List<String>> predTags = new ArrayList<>();
        List<ConllEval.Sentence> sentences = new ArrayList<>();
        int tags = runtime.slots(), intents = runtime.intents();
        for (JointBatcher.Batch b : batcher.batches(split, 64, -1)) {
            int[] lengths = b.lengths();
            int[] ids = new int[b.batch() * b.length()];
            int total = 0;
            for (int r = 0; r < b.batch(); r++) {
                System.arraycopy(b.ids(), r * b.length(), ids, total, lengths[r]);
                total += lengths[r];
            }
            session.forward(ids, lengths, b.batch());
            predIntents.addAll(batcher.decodeIntents(BioConstrainedDecoder.argmax(
                    java.util.Arrays.copyOf(session.intentLogits(), b.batch() * intents), intents, b.batch())));
            // back to the padded [batch * length, tags] layout the decoders and the batcher read
            float[] padded = new float[b.batch() * b.length() * tags];
            float[] slots = session.slotLogits();
            for (int r = 0, t = 0; r < b.batch(); r++) {
                System.arraycopy(slots, t * tags, padded, r * b.length() * tags, lengths[r] * tags);
                t += lengths[r];
            }
            int[] slotIds = slotDecoder.decode(padded, tags, b.batch(), b.length(), lengths);
            List<List<String>> rows = batcher.decodeSlots(b, slotIds);
            predTags.addAll(rows);
            for (int r = 0; r < b.batch(); r++) {
                Utterance u = b.utterances().get(r);
                sentences.add(new ConllEval.Sentence(u.tokens(), u.tags(), rows.get(r)));
            }
        }
        return new JointEvaluator.Result(IntentSlotMetrics.of(split, predIntents, predTags), predIntents, sentences);
    }
}
