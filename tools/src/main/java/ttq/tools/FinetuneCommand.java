package ttq.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import ttq.engine.optim.AdamW;
import ttq.engine.optim.WarmupLinearDecay;
import ttq.model.bert.BertEncoder;
import ttq.model.bert.ClassifierTrainingStep;
import ttq.model.bert.BertTokenizer;
import ttq.model.bert.GlueBatches;
import ttq.model.bert.GlueEvaluator;
import ttq.model.bert.Pooling;
import ttq.model.bert.PretrainedBert;
import ttq.model.bert.SavedClassifier;
import ttq.model.bert.SequenceClassifier;
import ttq.model.data.GlueTask;
import ttq.model.metrics.BinaryMetrics;
import ttq.model.train.BatchSource;
import ttq.model.train.Trainer;

/**
 * {@code ttq finetune}: a pretrained encoder plus a classification head trained on a GLUE task
 * (AdamW, linear warm-up and decay, gradient clipping at 1, as Hugging Face's Trainer) on the
 * library's {@link Trainer}, evaluated on dev after each epoch. RUN/checkpoint.safetensors is written atomically every
 * {@code --checkpoint-steps} steps and at each epoch end, so {@code --resume} continues a killed
 * run to the same result; RUN/best.safetensors is the best-dev model (the teacher for {@code ttq distill}).
 */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Fine-tune a pretrained encoder (minilm, bge or a Hugging Face folder) with a classifier on SST-2, MRPC or RTE.")
public final class FinetuneCommand implements Callable<Integer> {
    @Mixin
    ProfileOption profile;

    @Option(names = "--task", required = true, description = "sst2, mrpc or rte.")
    String task;

    @Option(names = "--teacher", defaultValue = "minilm", paramLabel = "minilm|bge|DIR", description = "Pretrained encoder (default ${DEFAULT-VALUE}).")
    String teacher;

    @Option(names = "--data", defaultValue = "test-data/glue", description = "GLUE folder with SST-2/, MRPC/, RTE/ (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "RUN", description = "Run folder.")
    Path out;

    @Option(names = "--epochs", defaultValue = "3", description = "Default ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--batch", defaultValue = "32", description = "Default ${DEFAULT-VALUE}.")
    int batch;

    // 1e-4: MiniLM on MRPC reached 81.37 in 3 epochs at 1e-4 and 78.19 at 5e-5 (2026-11-26)
    @Option(names = "--lr", defaultValue = "1e-4", description = "Peak learning rate (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--warmup", defaultValue = "0.1", description = "Warm-up share of all steps (default ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--max-length", defaultValue = "128", description = "Tokens per input after truncation (default ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--pooling", paramLabel = "cls|mean", description = "Sentence vector: cls (BERT pooler) or mean; default: mean for minilm, cls otherwise.")
    String pooling;

    @Option(names = "--train-limit", paramLabel = "N", description = "Train on N examples drawn (seeded) from the training split; default all.")
    Integer trainLimit;

    @Option(names = "--seed", defaultValue = "1", description = "Default ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--checkpoint-steps", defaultValue = "200", description = "Checkpoint every N steps as well as at epoch ends (default ${DEFAULT-VALUE}).")
    int checkpointSteps;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint.")
    boolean resume;

    @Option(names = "--stop-after-steps", paramLabel = "N", hidden = true, description = "Stop (as if killed) after N steps in total; for tests.")
    Integer stopAfterSteps;

    @Override
    public Integer call() throws Exception {
        GlueTask glue = Commands.glueTask(task);
        profile.check();
        UsageException.require(epochs >= 1 && batch >= 1 && lr > 0 && warmup >= 0 && warmup < 1 && maxLength >= 3 && checkpointSteps >= 1
                && (trainLimit == null || trainLimit >= 1), "--epochs, --batch, --lr, --checkpoint-steps and --train-limit must be positive, "
                + "--warmup in [0, 1), --max-length at least 3");
        Pooling pool = Commands.usage("--pooling", () -> pooling == null ? Pooling.defaultFor(teacher) : Pooling.parse(pooling));
        Commands.refuseExistingRun(out, resume);
        List<GlueTask.Example> trainExamples = GlueTask.sample(glue.read(data, "train"), trainLimit, seed), devExamples = glue.read(data, "dev");
        long tLoad = System.nanoTime();
        PretrainedBert bert = PretrainedBert.load(teacher);
        GlueBatches train, dev;
        try (BertTokenizer tok = bert.tokenizer(maxLength)) {
            train = new GlueBatches(tok, trainExamples);
            dev = new GlueBatches(tok, devExamples);
        }
        Commands.warn(train.truncationWarning(glue.folder() + " train"));
        Commands.warn(dev.truncationWarning(glue.folder() + " dev"));
        BertEncoder encoder = bert.encoder();
        SequenceClassifier model = new SequenceClassifier(encoder, pool, 2, seed);
        SavedClassifier.Info info = new SavedClassifier.Info(teacher, glue.name().toLowerCase(Locale.ROOT), bert.config(), pool, 2,
                Math.min(maxLength, bert.config().maxPositions()));
        System.out.printf(Locale.ROOT, "finetune %s on %s: %d train / %d dev examples, %s pooling, %d parameters (loaded in %.1f s)%n",
                bert.name(), glue.folder(), train.size(), dev.size(), pool.name().toLowerCase(Locale.ROOT), model.parameterCount(),
                (System.nanoTime() - tLoad) / 1e9);
        int stepsPerEpoch = train.batchCount(batch);
        WarmupLinearDecay schedule = new WarmupLinearDecay(lr, (int) Math.round(warmup * stepsPerEpoch * epochs), stepsPerEpoch * epochs);
        Trainer<GlueBatches.Batch> trainer = profile.attach(Trainer.builder(model,
                        (BatchSource<GlueBatches.Batch>) order -> train.shuffled(batch, order)), model, out, "ttq finetune: " + task)
                .phase("", epochs, () -> new AdamW(model.parameters(), lr, 0.9f, 0.999f, 1e-8f, 0.01f), schedule,
                        new ClassifierTrainingStep(model, seed))
                .seed(seed).clipGradNorm(1f).checkpointEvery(checkpointSteps)
                .evaluator(GlueEvaluator.evaluation(model, dev, glue), GlueEvaluator.METRICS_HEADER)
                .runFolder(out).runKey(runKey()).bestModel(SavedClassifier.metadata(info))
                .resume(resume).stopAfterSteps(stopAfterSteps == null ? null : (long) stopAfterSteps)
                .listener(new ProgressListener(out)).counts(ClassifierTrainingStep::examples, ClassifierTrainingStep::tokens).build();
        Files.createDirectories(out);
        Trainer.Result run = Commands.run(trainer);
        profile.report(out);
        if (!run.finished()) {
            return 0;
        }
        SavedClassifier.Loaded chosen = SavedClassifier.load(out.resolve(Trainer.BEST));
        GlueEvaluator.Result evaluated = GlueEvaluator.evaluate(chosen.model(), dev, 64);
        GlueEvaluator.writePredictions(out.resolve("dev_predictions.tsv"), evaluated, dev);
        BinaryMetrics m = evaluated.metrics();
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("task", info.task());
        results.put("teacher", teacher);
        results.put("dev_acc", m.accuracy());
        results.put("dev_f1", m.f1());
        results.put("dev_examples", dev.size());
        results.put("train_examples", train.size());
        results.put("train_limit", trainLimit); // null: all; lets a reused run's budget be checked
        results.put("epochs", epochs);
        results.put("best_epoch", run.bestEpoch());
        results.put("params", chosen.model().parameterCount());
        results.put("size_mb", 4.0 * chosen.model().parameterCount() / 1e6);
        results.put("encoder_gflops_128", chosen.model().encoderFlops(128) / 1e9);
        results.put("train_seconds", run.trainSeconds());
        results.put("seed", seed);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("results.json").toFile(), results);
        System.out.printf(Locale.ROOT, "dev (best epoch %d): acc %.2f, F1 %.2f | %.1f s training; wrote %s%n", run.bestEpoch(), m.accuracy(),
                m.f1(), run.trainSeconds(), out);
        return 0;
    }

    /** What must not change when resuming. */
    private String runKey() {
        return String.format(Locale.ROOT, "task=%s teacher=%s data=%s epochs=%d batch=%d lr=%s warmup=%s max_len=%d pooling=%s limit=%s seed=%d",
                task, teacher, data.toAbsolutePath().normalize(), epochs, batch, lr, warmup, maxLength, pooling, trainLimit, seed);
    }
}
