package ttq.examples;

import java.nio.file.Path;
import java.util.List;
import ttq.engine.optim.Adam;
import ttq.engine.profile.ProfileReport;
import ttq.model.data.IntentSlotCorpus;
import ttq.model.data.JointBatcher;
import ttq.model.data.Utterance;
import ttq.model.train.JointTrainingStep;
import ttq.model.train.StepProfiler;
import ttq.model.train.Trainer;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;

/**
 * Example 5: where a training step's time goes. A {@link StepProfiler} attached to a {@link Trainer}
 * records steps [WARMUP, WARMUP + STEPS) and writes profile.md, profile.csv and trace.json (open
* it in Perfetto or chrome://tracing) next to the run's checkpoints; the report is also there to read in code. (An epoch's end
 * ends the profile early: keep the steps inside one epoch.) Around any other
 * code, {@code Profiler.record(model, () -> ...)} does the same.
 *
 * <pre>java -cp tools/target/ttq.jar ttq.examples.ProfileTrainingSteps [ATIS_DIR] [WARMUP] [STEPS] [OUT_DIR]</pre>
 */
public final class ProfileTrainingSteps {
    public static void main(String[] args) throws Exception {
        Path data = Path.of(args.length > 0 ? args[0] : "test-data/atis"), out = Path.of(args.length > 3 ? args[3] : "runs/profile");
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 30, steps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        List<Utterance> train = IntentSlotCorpus.read(data.resolve("train"));
        JointBatcher batcher = new JointBatcher(train, 64);
        TransformerConfig config = TransformerConfig.builder().vocab(batcher.words().size()).intents(batcher.intents().size())
                .slots(batcher.slots().size()).build();
        JointIntentSlotModel model = new JointIntentSlotModel(config, 1);
        StepProfiler profiler = new StepProfiler(model, warmup, steps, out, "TT INT8 ATIS model, batch 32");
        int epochs = (warmup + steps + (train.size() + 31) / 32 - 1) / ((train.size() + 31) / 32); // enough epochs for the steps
        Trainer.builder(model, (long order) -> batcher.batches(train, 32, order))
                .phase("", epochs, () -> new Adam(model.parameters(), 1e-3f, 0.9f, 0.98f, 1e-8f, 0f), null, new JointTrainingStep(model, batcher, 1, 0))
                .seed(1).runFolder(out).listener(profiler).build().run();
        ProfileReport report = profiler.report();
        System.out.printf("%d steps, %.1f ms each (forward %.1f, backward %.1f); top ops:%n", profiler.recorded(),
                report.totalMs() / profiler.recorded(), report.phaseMs("forward") / profiler.recorded(),
                report.phaseMs("backward") / profiler.recorded());
        for (ProfileReport.Row row : report.byOp().subList(0, Math.min(5, report.byOp().size()))) {
            System.out.printf("  %-8s %-22s %6.2f ms/step%n", row.phase(), row.op(), row.ms() / profiler.recorded());
        }
        System.out.println("wrote " + out.resolve("profile.md") + ", profile.csv, trace.json");
    }
}
