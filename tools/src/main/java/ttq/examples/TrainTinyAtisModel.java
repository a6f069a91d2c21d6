package ttq.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import ttq.engine.optim.Adam;
import ttq.model.data.IntentSlotCorpus;
import ttq.model.data.JointBatcher;
import ttq.model.data.Utterance;
import ttq.model.metrics.IntentSlotMetrics;
import ttq.model.train.JointEvaluator;
import ttq.model.train.JointTrainingStep;
import ttq.model.train.StepInfo;
import ttq.model.train.Trainer;
import ttq.model.train.TrainingListener;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;

/**
 * Example 2: a tiny TT transformer (hidden 64, one encoder, TT rank 4, INT8 cores) configured with
 * the builder and trained on the bundled ATIS copy for one epoch by the library's {@link Trainer},
 * with a listener of your own watching the loss.
 *
 * <pre>java -cp tools/target/ttq.jar ttq.examples.TrainTinyAtisModel [ATIS_DIR]</pre>
 */
public final class TrainTinyAtisModel {
    private TrainTinyAtisModel() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args.length > 0 ? args[0] : "test-data/atis");
        List<Utterance> train = IntentSlotCorpus.read(data.resolve("train"));
        List<Utterance> test = IntentSlotCorpus.read(data.resolve("test"));
        JointBatcher batcher = new JointBatcher(train, 48); // vocabulary and label sets from train

        // hidden 64 = 4 x 16 = 16 x 4, FFN 128 = 8 x 16; the TTM embedding's rows 12^3 = 1728 cover the vocabulary
        TransformerConfig config = TransformerConfig.builder().vocab(batcher.words().size()).intents(batcher.intents().size())
                .slots(batcher.slots().size()).hidden(64).layers(1).heads(4).ffn(128).maxLength(48).ttRank(4).embeddingRank(8)
                .attentionModes(new int[] {4, 16}, new int[] {16, 4}).ffnModes(new int[] {8, 16}, new int[] {16, 4})
                .embeddingModes(new int[] {12, 12, 12}, new int[] {4, 4, 4}).quantizeAttention(false).build();
        JointIntentSlotModel model = new JointIntentSlotModel(config, 7);
        System.out.printf(Locale.ROOT, "model: %d parameters, %d training utterances%n", model.parameterCount(), train.size());

        double[] loss = new double[2]; // mean of the first and of the last 10 steps
        TrainingListener watch = new TrainingListener() {
            @Override
            public void stepFinished(StepInfo step, float value, double meanLoss, int examples, long tokens) {
                if (step.step() < 10) {
                    loss[0] += value / 10;
                }
                if (step.step() >= step.steps() - 10) {
                    loss[1] += value / 10;
                }
            }
        };
        Trainer.builder(model, (long order) -> batcher.batches(train, 32, order))
                .phase("", 1, () -> new Adam(model.parameters(), 3e-3f, 0.9f, 0.98f, 1e-8f, 0f), null, new JointTrainingStep(model, batcher, 11, 0))
                .seed(11).runFolder(Files.createTempDirectory("tiny-atis")).listener(watch).build().run();
        System.out.printf(Locale.ROOT, "loss: first 10 steps %.4f, last 10 steps %.4f%n", loss[0], loss[1]);

        IntentSlotMetrics m = JointEvaluator.evaluate(model, batcher, test).metrics();
        System.out.printf(Locale.ROOT, "test: intent accuracy %.2f, slot F1 %.2f, frame accuracy %.2f%n",
                m.intentAccuracy(), m.slotF1(), m.frameAccuracy());
    }
}
