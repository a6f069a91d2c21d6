package ttq.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.engine.Ops;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.engine.optim.AdamW;
import ttq.engine.optim.GradientClipping;
import ttq.engine.optim.WarmupLinearDecay;
import ttq.model.bert.BertEncoder;
import ttq.model.bert.BertTokenizer;
import ttq.model.bert.GlueBatches;
import ttq.model.bert.GlueEvaluator;
import ttq.model.bert.Pooling;
import ttq.model.bert.PretrainedBert;
import ttq.model.bert.SavedClassifier;
import ttq.model.bert.SequenceClassifier;
import ttq.model.data.GlueTask;
import ttq.model.metrics.BinaryMetrics;
import ttq.model.train.TrainingCheckpoint;

/**
 * {@code ttq finetune}: a pretrained encoder plus a classification head trained on a GLUE task
 * (AdamW, linear warm-up and decay, gradient clipping at 1, as Hugging Face's Trainer), evaluated
 * on dev after each epoch. RUN/checkpoint.safetensors is written atomically every
 * {@code --checkpoint-steps} steps and at each epoch end, so {@code --resume} continues a killed
 * run to the same result; RUN/best.safetensors is the best-dev model (the teacher for {@code ttq distill}).
 */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Fine-tune a pretrained encoder (minilm, bge or a Hugging Face folder) with a classifier on SST-2, MRPC or RTE.")
public final class FinetuneCommand implements Callable<Integer> {
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
        GlueTask glue;
        try {
            glue = GlueTask.parse(task);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (epochs < 1 || batch < 1 || !(lr > 0) || !(warmup >= 0 && warmup < 1) || maxLength < 3 || checkpointSteps < 1
                || (trainLimit != null && trainLimit < 1)) {
            throw new UsageException("--epochs, --batch, --lr, --checkpoint-steps and --train-limit must be positive, --warmup in [0, 1), "
                    + "--max-length at least 3");
        }
        Pooling pool;
        try {
            pool = pooling == null ? Pooling.defaultFor(teacher) : Pooling.parse(pooling);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--pooling: " + e.getMessage());
        }
        Path checkpoint = out.resolve("checkpoint.safetensors"), best = out.resolve("best.safetensors");
        if (!resume && Files.exists(checkpoint)) {
            throw new UsageException(out + " already holds a run; use --resume to continue it or another --out");
        }
        List<GlueTask.Example> trainExamples = GlueTask.sample(glue.read(data, "train"), trainLimit, seed), devExamples = glue.read(data, "dev");
        long tLoad = System.nanoTime();
        PretrainedBert bert = PretrainedBert.load(teacher);
        GlueBatches train, dev;
        try (BertTokenizer tok = bert.tokenizer(maxLength)) {
            train = new GlueBatches(tok, trainExamples);
            dev = new GlueBatches(tok, devExamples);
        }
        BertEncoder encoder = bert.encoder();
        SequenceClassifier model = new SequenceClassifier(encoder, pool, 2, seed);
        SavedClassifier.Info info = new SavedClassifier.Info(teacher, glue.name().toLowerCase(Locale.ROOT), bert.config(), pool, 2,
                Math.min(maxLength, bert.config().maxPositions()));
        System.out.printf(Locale.ROOT, "finetune %s on %s: %d train / %d dev examples, %s pooling, %d parameters (loaded in %.1f s)%n",
                bert.name(), glue.folder(), train.size(), dev.size(), pool.name().toLowerCase(Locale.ROOT), model.parameterCount(),
                (System.nanoTime() - tLoad) / 1e9);
        AdamW opt = new AdamW(model.parameters(), lr, 0.9f, 0.999f, 1e-8f, 0.01f);
        int stepsPerEpoch = train.batchCount(batch);
        WarmupLinearDecay schedule = new WarmupLinearDecay(lr, (int) Math.round(warmup * stepsPerEpoch * epochs), stepsPerEpoch * epochs);
        Files.createDirectories(out);

        int startEpoch = 1, startStep = 0, bestEpoch = 0;
        double bestDev = -1, trainSeconds = 0, lossSum = 0;
        StringBuilder metrics = new StringBuilder("epoch,train_loss,dev_acc,dev_f1\n");
        if (resume && Files.exists(checkpoint)) {
            Map<String, String> meta = TrainingCheckpoint.load(checkpoint, model, opt);
            if (!runKey().equals(meta.get("run"))) {
                throw new UsageException("--resume with different settings: the checkpoint was made by [" + meta.get("run") + "], this call is ["
                        + runKey() + "]");
            }
            startEpoch = Integer.parseInt(meta.get("epoch"));
            startStep = Integer.parseInt(meta.get("step"));
            lossSum = Double.parseDouble(meta.get("loss_sum"));
            bestDev = Double.parseDouble(meta.get("best_dev"));
            bestEpoch = Integer.parseInt(meta.get("best_epoch"));
            trainSeconds = Double.parseDouble(meta.get("train_seconds"));
            metrics = new StringBuilder(meta.get("metrics_csv"));
            if (startStep == stepsPerEpoch) {
                startEpoch++;
                startStep = 0;
                lossSum = 0;
            }
            System.out.printf("resuming %s at epoch %d, step %d%n", out, startEpoch, startStep);
        }
        int stepsDone = (startEpoch - 1) * stepsPerEpoch + startStep;
        for (int epoch = startEpoch; epoch <= epochs; epoch++) {
            model.train(true);
            List<GlueBatches.Batch> batches = train.shuffled(batch, seed * 1_000_003L + epoch);
            long t0 = System.nanoTime();
            long tokens = 0;
            int first = epoch == startEpoch ? startStep : 0;
            if (first == 0) {
                lossSum = 0;
            }
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("epoch " + epoch).setInitialMax(batches.size())
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().build()) {
                bar.stepTo(first);
                for (int step = first; step < batches.size(); step++) {
                    GlueBatches.Batch b = batches.get(step);
                    model.reseedDropout(seed, epoch, step);
                    opt.zeroGrad();
                    float value;
                    try (StepScope ignored = StepScope.open()) {
                        Tensor loss = Ops.crossEntropy(model.forward(b.input()), b.labels(), -100);
                        value = loss.item();
                        if (!Float.isFinite(value)) {
                            throw new ArithmeticException("fine-tuning diverged: loss " + value + " at epoch " + epoch + " step " + (step + 1));
                        }
                        loss.backward();
                        GradientClipping.clipGlobalNorm(model.parameters(), 1f);
                        schedule.applyTo(opt);
                        opt.step();
                    }
                    lossSum += value;
                    tokens += (long) b.input().batch() * b.input().length();
                    bar.step();
                    double secs = (System.nanoTime() - t0) / 1e9;
                    bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f, %.0f tokens/s", lossSum / (step + 1), tokens / secs));
                    stepsDone++;
                    boolean stop = stopAfterSteps != null && stepsDone >= stopAfterSteps;
                    if ((step + 1) % checkpointSteps == 0 || stop) {
                        double secsNow = trainSeconds + (System.nanoTime() - t0) / 1e9;
                        TrainingCheckpoint.save(checkpoint, model, opt, meta(epoch, step + 1, lossSum, bestDev, bestEpoch, secsNow, metrics));
                    }
                    if (stop && step + 1 < batches.size()) {
                        System.out.printf("stopped after %d steps (--stop-after-steps); continue with --resume%n", stepsDone);
                        return 0;
                    }
                }
            }
            trainSeconds += (System.nanoTime() - t0) / 1e9;
            BinaryMetrics m = GlueEvaluator.evaluate(model, dev, 64).metrics();
            metrics.append(String.format(Locale.ROOT, "%d,%.6f,%.4f,%.4f%n", epoch, lossSum / batches.size(), m.accuracy(), m.f1()));
            System.out.printf(Locale.ROOT, "epoch %d: loss %.4f | dev acc %.2f, F1 %.2f%n", epoch, lossSum / batches.size(), m.accuracy(), m.f1());
            double score = glue == GlueTask.MRPC ? (m.accuracy() + m.f1()) / 2 : m.accuracy();
            if (score > bestDev) {
                bestDev = score;
                bestEpoch = epoch;
                Map<String, String> bm = SavedClassifier.metadata(info);
                bm.put("epoch", Integer.toString(epoch));
                TrainingCheckpoint.save(best, model, null, bm);
            }
            Files.writeString(out.resolve("metrics.csv"), metrics, StandardCharsets.UTF_8);
            TrainingCheckpoint.save(checkpoint, model, opt, meta(epoch, batches.size(), lossSum, bestDev, bestEpoch, trainSeconds, metrics));
            if (stopAfterSteps != null && stepsDone >= stopAfterSteps && epoch < epochs) {
                System.out.printf("stopped after %d steps (--stop-after-steps); continue with --resume%n", stepsDone);
                return 0;
            }
        }
        SavedClassifier.Loaded chosen = SavedClassifier.load(best);
        BinaryMetrics m = GlueEvaluator.evaluate(chosen.model(), dev, 64).metrics();
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("task", info.task());
        results.put("teacher", teacher);
        results.put("dev_acc", m.accuracy());
        results.put("dev_f1", m.f1());
        results.put("dev_examples", dev.size());
        results.put("train_examples", train.size());
        results.put("epochs", epochs);
        results.put("best_epoch", bestEpoch);
        results.put("params", chosen.model().parameterCount());
        results.put("size_mb", 4.0 * chosen.model().parameterCount() / 1e6);
        results.put("encoder_gflops_128", DistillCommand.encoderFlops(chosen.model(), 128) / 1e9);
        results.put("train_seconds", trainSeconds);
        results.put("seed", seed);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("results.json").toFile(), results);
        System.out.printf(Locale.ROOT, "dev (best epoch %d): acc %.2f, F1 %.2f | %.1f s training; wrote %s%n", bestEpoch, m.accuracy(), m.f1(),
                trainSeconds, out);
        return 0;
    }

    private Map<String, String> meta(int epoch, int step, double lossSum, double bestDev, int bestEpoch, double trainSeconds, StringBuilder metrics) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("epoch", String.valueOf(epoch));
        m.put("step", String.valueOf(step));
        m.put("loss_sum", String.valueOf(lossSum));
        m.put("best_dev", String.valueOf(bestDev));
        m.put("best_epoch", String.valueOf(bestEpoch));
        m.put("train_seconds", String.valueOf(trainSeconds));
        m.put("metrics_csv", metrics.toString());
        m.put("run", runKey());
        return m;
    }

    /** What must not change when resuming. */
    private String runKey() {
        return String.format(Locale.ROOT, "task=%s teacher=%s data=%s epochs=%d batch=%d lr=%s warmup=%s max_len=%d pooling=%s limit=%s seed=%d",
                task, teacher, data.toAbsolutePath().normalize(), epochs, batch, lr, warmup, maxLength, pooling, trainLimit, seed);
    }
}
