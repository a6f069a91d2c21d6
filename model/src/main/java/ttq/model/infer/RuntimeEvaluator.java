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
        RuntimeSession session = runtime.newSession(threads);
        int tags = runtime.slots();
        try {
            return JointEvaluator.evaluate(b -> {
                int[] lengths = b.lengths();
                int[] ids = new int[b.batch() * b.length()];
                int total = 0;
                for (int r = 0; r < b.batch(); r++) {
                    System.arraycopy(b.ids(), r * b.length(), ids, total, lengths[r]);
                    total += lengths[r];
                }
                session.forward(ids, lengths, b.batch());
                // back to the padded [batch * length, tags] layout the decoders and the batcher read
                float[] padded = new float[b.batch() * b.length() * tags];
                float[] slots = session.slotLogits();
                for (int r = 0, t = 0; r < b.batch(); r++) {
                    System.arraycopy(slots, t * tags, padded, r * b.length() * tags, lengths[r] * tags);
                    t += lengths[r];
                }
                return new float[][] {session.intentLogits(), padded};
            }, runtime.intents(), batcher, split, decoding);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
