package ttq.examples;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.engine.optim.Adam;
import ttq.model.data.IntentSlotCorpus;
import ttq.model.data.JointBatcher;
import ttq.model.data.Utterance;
import ttq.model.metrics.IntentSlotMetrics;
import ttq.model.train.JointEvaluator;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;

/**
 * Example 2: a tiny TT transformer (hidden 64, one encoder, TT rank 4, INT8 cores) trained on the
 * bundled ATIS copy for one epoch with a training loop you own: no CLI, no trainer class.
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

        // hidden 64 = 4x16 = 16x4, FFN 128 = 8x16; the TTM embedding's rows 12^3 = 1728 cover the vocabulary
        TransformerConfig config = new TransformerConfig(batcher.words().size(), 64, 1, 4, 128, 48, 0.1f,
                batcher.intents().size(), batcher.slots().size(), "tt", 8, 4, 8,
                new int[] {4, 16}, new int[] {16, 4}, new int[] {8, 16}, new int[] {16, 4},
                new int[] {12, 12, 12}, new int[] {4, 4, 4}, true, false);
        JointIntentSlotModel model = new JointIntentSlotModel(config, 7);
        Adam optimizer = new Adam(model.parameters(), 3e-3f, 0.9f, 0.98f, 1e-8f, 0f);
        System.out.printf(Locale.ROOT, "model: %d parameters, %d training utterances%n", model.parameterCount(), train.size());

        model.train(true);
        List<JointBatcher.Batch> batches = batcher.batches(train, 32, 11);
        double first = 0, last = 0;
        for (int step = 0; step < batches.size(); step++) {
            JointBatcher.Batch b = batches.get(step);
            optimizer.zeroGrad();
            float loss;
            try (StepScope ignored = StepScope.open()) { // activations of this step are recycled by the next
                Tensor l = model.loss(model.forward(b.ids(), b.mask(), b.batch(), b.length()), b.intents(), b.slots());
                loss = l.item();
                l.backward();
            }
            optimizer.step();
            if (step < 10) {
                first += loss / 10;
            }
            if (step >= batches.size() - 10) {
                last += loss / 10;
            }
        }
        System.out.printf(Locale.ROOT, "loss: first 10 steps %.4f, last 10 steps %.4f%n", first, last);

        model.train(false);
        IntentSlotMetrics m = JointEvaluator.evaluate(model, batcher, test).metrics();
        System.out.printf(Locale.ROOT, "test: intent accuracy %.2f, slot F1 %.2f, frame accuracy %.2f%n",
                m.intentAccuracy(), m.slotF1(), m.frameAccuracy());
    }
}
