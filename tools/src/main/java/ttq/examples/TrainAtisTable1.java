package ttq.examples;

import java.nio.file.Path;
import java.util.List;
import ttq.engine.optim.Adam;
import ttq.model.data.IntentSlotCorpus;
import ttq.model.data.JointBatcher;
import ttq.model.data.Utterance;
import ttq.model.train.JointEvaluator;
import ttq.model.train.JointTrainingStep;
import ttq.model.train.SlotDecoding;
import ttq.model.train.Trainer;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;

/**
 * Example 4: the paper's Table 1 TT INT8 model trained from a main class for N epochs, checkpointed
 * after every epoch; run it again with more epochs (or after a kill) and it continues exactly.
 *
 * <pre>java -cp tools/target/ttq.jar ttq.examples.TrainAtisTable1 [ATIS_DIR] [EPOCHS] [RUN_DIR]</pre>
 */
public final class TrainAtisTable1 {
    public static void main(String[] args) throws Exception {
        Path data = Path.of(args.length > 0 ? args[0] : "test-data/atis"), run = Path.of(args.length > 2 ? args[2] : "runs/table1");
        List<Utterance> train = IntentSlotCorpus.read(data.resolve("train")), valid = IntentSlotCorpus.read(data.resolve("valid"));
        JointBatcher batcher = new JointBatcher(train, 64);
        TransformerConfig config = TransformerConfig.builder().vocab(batcher.words().size()).intents(batcher.intents().size())
                .slots(batcher.slots().size()).build(); // Table 1: hidden 768, 2 blocks, TT rank 10, TTM rank 30, INT8
        JointIntentSlotModel model = new JointIntentSlotModel(config, 1);
        Trainer.Result r = Trainer.builder(model, (long order) -> batcher.batches(train, 32, order))
                .phase("", Integer.parseInt(args.length > 1 ? args[1] : "10"),
                        () -> new Adam(model.parameters(), 1e-3f, 0.9f, 0.98f, 1e-8f, 0f), null, new JointTrainingStep(model, batcher, 1, 0))
                .seed(1).evaluator(JointEvaluator.evaluation(model, batcher, valid, SlotDecoding.BIO), JointEvaluator.METRICS_HEADER)
                .runFolder(run).resume(true).build().run();
        System.out.printf("%d epochs, best dev epoch %d (score %.2f); %s holds checkpoint.safetensors, best.safetensors, metrics.csv%n",
                r.epochs(), r.bestEpoch(), r.bestScore(), run);
    }
}
