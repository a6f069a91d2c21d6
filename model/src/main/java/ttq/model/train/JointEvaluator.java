package ttq.model.train;

import java.util.ArrayList;
import java.util.List;
import ttq.engine.GradMode;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.model.data.JointBatcher;
import ttq.model.data.Utterance;
import ttq.model.metrics.ConllEval;
import ttq.model.metrics.IntentSlotMetrics;
import ttq.model.transformer.JointIntentSlotModel;

/**
 * Runs a joint intent/slot model over a split in eval mode without gradients (split order, batches
 * of 64) and scores it: intent accuracy, conlleval slot F1, frame accuracy, plus the predictions.
 */
public final class JointEvaluator {
    private JointEvaluator() {
    }

    /** Predicted intents (split order), conlleval sentences (token, gold, predicted) and the metrics. */
    public record Result(IntentSlotMetrics metrics, List<String> intents, List<ConllEval.Sentence> sentences) {
    }

    /** {@link #evaluate(JointIntentSlotModel, JointBatcher, List, SlotDecoding)} with BIO-constrained slot decoding. */
    public static Result evaluate(JointIntentSlotModel net, JointBatcher batcher, List<Utterance> split) {
        return evaluate(net, batcher, split, SlotDecoding.BIO);
    }

    /**
     * Intent accuracy, conlleval slot F1, slot token accuracy and frame accuracy of net on split, with its
     * predictions; slot tags decoded as {@code decoding} says.
     */
    public static Result evaluate(JointIntentSlotModel net, JointBatcher batcher, List<Utterance> split, SlotDecoding decoding) {
        SlotDecoding.Decoder slotDecoder = decoding.decoder(batcher.slots().names());
        boolean wasTraining = net.isTraining();
        net.eval();
        List<String> predIntents = new ArrayList<>();
        List<List<String>> predTags = new ArrayList<>();
        List<ConllEval.Sentence> sentences = new ArrayList<>();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (JointBatcher.Batch b : batcher.batches(split, 64, -1)) {
                try (StepScope step = StepScope.open()) { // logits are read here; the next batch reuses their memory
                    JointIntentSlotModel.Logits logits = net.forward(b.ids(), b.mask(), b.batch(), b.length());
                    predIntents.addAll(batcher.decodeIntents(argmax(logits.intents())));
                    Tensor slots = logits.slots();
                    int[] slotIds = slotDecoder.decode(slots.data(), slots.dim(1), b.batch(), b.length(), b.lengths());
                    List<List<String>> tags = batcher.decodeSlots(b, slotIds);
                    predTags.addAll(tags);
                    for (int r = 0; r < b.batch(); r++) {
                        Utterance u = b.utterances().get(r);
                        sentences.add(new ConllEval.Sentence(u.tokens(), u.tags(), tags.get(r)));
                    }
                }
            }
        } finally {
            net.train(wasTraining);
        }
        return new Result(IntentSlotMetrics.of(split, predIntents, predTags), predIntents, sentences);
    }

    /** Any engine that maps a padded batch to logits: intents [batch, intents] and slots [batch, length, tags], row-major. */
    @FunctionalInterface
    public interface PaddedLogits {
        /** The logits of batch b (ids and mask [b.batch(), b.length()], 0 = padding). */
        float[][] logits(JointBatcher.Batch b) throws Exception;
    }

    /**
     * Scores another engine (the inference runtime, ONNX Runtime) exactly as the training network is
     * scored: the same batches of 64, the same decoding and metrics, so results compare prediction by prediction.
     */
    public static Result evaluate(PaddedLogits engine, int intents, JointBatcher batcher, List<Utterance> split, SlotDecoding decoding)
            throws Exception {
        SlotDecoding.Decoder slotDecoder = decoding.decoder(batcher.slots().names());
        int tags = batcher.slots().size();
        List<String> predIntents = new ArrayList<>();
        List<List<String>> predTags = new ArrayList<>();
        List<ConllEval.Sentence> sentences = new ArrayList<>();
        for (JointBatcher.Batch b : batcher.batches(split, 64, -1)) {
            float[][] out = engine.logits(b);
            predIntents.addAll(batcher.decodeIntents(BioConstrainedDecoder.argmax(java.util.Arrays.copyOf(out[0], b.batch() * intents), intents,
                    b.batch())));
            int[] slotIds = slotDecoder.decode(out[1], tags, b.batch(), b.length(), b.lengths());
            List<List<String>> rows = batcher.decodeSlots(b, slotIds);
            predTags.addAll(rows);
            for (int r = 0; r < b.batch(); r++) {
                Utterance u = b.utterances().get(r);
                sentences.add(new ConllEval.Sentence(u.tokens(), u.tags(), rows.get(r)));
            }
        }
        return new Result(IntentSlotMetrics.of(split, predIntents, predTags), predIntents, sentences);
    }

    /** The metrics.csv header of {@link #evaluation}'s columns. */
    public static final String METRICS_HEADER = "epoch,train_loss,dev_intent_acc,dev_slot_f1,dev_frame_acc\n";

    /**
     * The dev result as a {@link Trainer} evaluation: intent accuracy, slot F1 and frame accuracy as
     * columns, the mean of intent accuracy and slot F1 as the score that picks the best epoch.
     */
    public static Evaluation.Evaluator evaluation(JointIntentSlotModel net, JointBatcher batcher, List<Utterance> dev, SlotDecoding decoding) {
        return () -> {
            IntentSlotMetrics m = evaluate(net, batcher, dev, decoding).metrics();
            return new Evaluation((m.intentAccuracy() + m.slotF1()) / 2, String.format(java.util.Locale.ROOT, "%.4f,%.4f,%.4f",
                    m.intentAccuracy(), m.slotF1(), m.frameAccuracy()), m.summary());
        };
    }

    /** Row-wise argmax of [rows, cols] logits (the first maximum on ties). */
    public static int[] argmax(Tensor logits) {
        return BioConstrainedDecoder.argmax(logits.data(), logits.dim(1), logits.dim(0));
    }
}
