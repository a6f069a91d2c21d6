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
import ttq.engine.optim.Adam;
import ttq.engine.optim.ConstantLr;
import ttq.engine.optim.LrSchedule;
import ttq.engine.optim.WarmupLinearDecay;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.data.DataFormatException;
import ttq.model.data.IntentSlotCorpus;
import ttq.model.data.JointBatcher;
import ttq.model.data.Utterance;
import ttq.model.data.VocabularyJson;
import ttq.model.metrics.IntentSlotMetrics;
import ttq.model.quant.WeightScaleInit;
import ttq.model.train.ModelSize;
import ttq.model.train.JointEvaluator;
import ttq.model.train.JointTrainingStep;
import ttq.model.train.SlotDecoding;
import ttq.model.train.BatchSource;
import ttq.model.train.Trainer;
import ttq.model.train.TrainingCheckpoint;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;
import ttq.model.transformer.TransformerConfigJson;

/**
 * {@code ttq train --task atis}: trains the joint intent/slot transformer of the paper's section 3.1
 * (dense, or TT/TTM compressed at 32/8/4/2 bits) with Adam (0.9, 0.98) on the library's
 * {@link Trainer}: per-epoch dev metrics in RUN/metrics.csv, an atomic checkpoint after every epoch
 * and the best-dev model; {@code --resume} continues a killed run from its last checkpoint to the
 * same final result; test metrics, conlleval-format slots and intents at the end.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the joint intent/slot transformer (dense or TT-compressed, FP32/INT8/INT4/INT2) on an ATIS-layout corpus.")
public final class TrainCommand implements Callable<Integer> {
    @Mixin
    ExperimentConfig.Option experiment;

    @Mixin
    ProfileOption profile;

    @Option(names = "--task", defaultValue = "atis", description = "Task (atis: joint intent detection and slot filling; default ${DEFAULT-VALUE}).")
    String task;

    @Option(names = "--data", defaultValue = "test-data/atis", description = "Corpus folder with train/, valid/, test/ (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--model", defaultValue = "tt", description = "dense or tt (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--bits", paramLabel = "32|8|4|2", description = "Precision of the compressed layers (default: 8 for --model tt, "
            + "the TT INT8 row of Table 2; 32 for dense).")
    Integer bitsOption;

    /** --bits resolved against --model. */
    int bits;

    @Option(names = "--rank", defaultValue = "10", description = "TT rank of the attention, feed-forward and classifier linears "
            + "(--model tt; default ${DEFAULT-VALUE}, the paper's Table 1).")
    int rank;

    @Option(names = "--embedding-rank", defaultValue = "30", paramLabel = "R|auto", description = "TTM rank of the token embedding (--model "
            + "tt; default ${DEFAULT-VALUE}, the paper's Table 1); auto: the rank whose cores hold the share of the dense table that rank 30 "
            + "holds on ATIS (7.1%), so it grows with the vocabulary (printed).")
    String embeddingRankOption;

    /** --embedding-rank resolved (auto: from the vocabulary). */
    int embeddingRank;

    @Option(names = "--embedding", defaultValue = "ttm", paramLabel = "ttm|dense", description = "Token embedding of the TT model: ttm "
            + "(default, the paper's) or dense (a full FP32 table; the linears stay compressed), for corpora whose vocabulary holds the "
            + "information (many rare names).")
    String embedding;

    @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default ${DEFAULT-VALUE}; the paper trains 40).")
    int epochs;

    @Option(names = "--batch", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--schedule", defaultValue = "constant", description = "Learning rate over the run: constant, or linear (warm-up "
            + "then linear decay to 0 at the last step; default ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--warmup", defaultValue = "1", description = "Warm-up epochs of the linear schedule (may be fractional; default ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--unk-replace", defaultValue = "0", paramLabel = "ALPHA", description = "Replace a training word seen c times "
            + "by <unk> with probability ALPHA/(ALPHA+c), so unseen test words meet a trained <unk> (default ${DEFAULT-VALUE}: off).")
    double unkReplace;

    @Option(names = "--position-init", defaultValue = "normal", description = "Start of the learned positional table: normal "
            + "(N(0, 0.02)) or sinusoidal (Vaswani et al.'s sinusoids at the token embeddings' scale); default ${DEFAULT-VALUE}.")
    String positionInit;

    @Option(names = "--scale-init", defaultValue = "max", description = "Start of the weight quantizers' scales: max "
            + "(max|w| / Q_p) or lsq (2 mean|w| / sqrt(Q_p), better at 2 bits); default ${DEFAULT-VALUE}.")
    String scaleInit;

    @Option(names = "--slot-decoding", defaultValue = "bio", paramLabel = "bio|argmax", description = "Slot tags at evaluation: bio "
            + "(the best valid BIO sequence: I-x only after B-x or I-x) or argmax (each token's best tag); default ${DEFAULT-VALUE}.")
    String slotDecodingName;

    /** --slot-decoding parsed. */
    SlotDecoding slotDecoding;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed: initialisation, shuffling, dropout (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--dropout", defaultValue = "0.1", description = "Dropout probability (default ${DEFAULT-VALUE}).")
    float dropout;

    @Option(names = "--inject-nan", hidden = true, paramLabel = "PARAM@STEP", description = "Sets the first value of parameter PARAM to NaN "
            + "before global step STEP (1-based); for testing --detect-anomaly.")
    String injectNan;

    @Option(names = "--max-len", defaultValue = "64", description = "Longest sequence; longer utterances are truncated (default ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--out", defaultValue = "runs/atis", description = "Run folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--stop-after-epoch", paramLabel = "N", description = "Stop after checkpointing epoch N, as if the run were "
            + "killed there (split a long run over sessions; continue with --resume).")
    Integer stopAfter;

    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint.")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        UsageException.require(task.equals("atis"), "--task: only 'atis' (joint intent/slot) is supported, got '" + task + "'");
        UsageException.require(List.of("ttm", "dense").contains(embedding), "--embedding must be ttm or dense, got '" + embedding + "'");
        boolean autoRank = embeddingRankOption.equals("auto");
        if (!autoRank) {
            try {
                embeddingRank = Integer.parseInt(embeddingRankOption);
            } catch (NumberFormatException e) {
                throw new UsageException("--embedding-rank must be a positive integer or auto, got '" + embeddingRankOption + "'");
            }
        }
        UsageException.require(rank >= 1 && (autoRank || embeddingRank >= 1), "--rank and --embedding-rank must be >= 1, got " + rank + " and "
                + embeddingRankOption);
        UsageException.require(epochs >= 1 && batch >= 1 && lr > 0 && maxLength >= 1 && dropout >= 0 && dropout < 1,
                "--epochs, --batch and --max-len must be >= 1, --lr > 0, --dropout in [0, 1)");
        profile.check();
        bits = bitsOption != null ? bitsOption : model.equals("dense") ? 32 : 8;
        UsageException.require(unkReplace >= 0, "--unk-replace must be >= 0, got " + unkReplace);
        UsageException.require(stopAfter == null || stopAfter >= 1, "--stop-after-epoch must be >= 1, got " + stopAfter);
        UsageException.require(List.of("constant", "linear").contains(schedule), "--schedule must be constant or linear, got '" + schedule + "'");
        UsageException.require(warmup >= 0 && warmup <= epochs, "--warmup must be in [0, --epochs], got " + warmup);
        UsageException.require(List.of("normal", "sinusoidal").contains(positionInit),
                "--position-init must be normal or sinusoidal, got '" + positionInit + "'");
        UsageException.require(List.of("max", "lsq").contains(scaleInit), "--scale-init must be max or lsq, got '" + scaleInit + "'");
        slotDecoding = Commands.usage("--slot-decoding", () -> SlotDecoding.parse(slotDecodingName));
        if (!Files.isDirectory(data)) {
            throw new DataFormatException(data + ": corpus folder not found (expected train/, valid/, test/; set --data)");
        }
        List<Utterance> train = IntentSlotCorpus.read(data.resolve("train")), valid = IntentSlotCorpus.read(data.resolve("valid"));
        List<Utterance> test = IntentSlotCorpus.read(data.resolve("test"));
        JointBatcher batcher = new JointBatcher(train, maxLength);
        Commands.warn(IntentSlotCorpus.truncationWarning(data.resolve("train"), train, maxLength));
        Commands.warn(IntentSlotCorpus.truncationWarning(data.resolve("valid"), valid, maxLength));
        Commands.warn(IntentSlotCorpus.truncationWarning(data.resolve("test"), test, maxLength));
        TransformerConfig shape = Commands.usage(() -> TransformerConfig.atisTable1(batcher.words().size(), batcher.intents().size(),
                batcher.slots().size(), model, bits, maxLength, dropout).withEmbedding(model.equals("dense") ? "dense" : embedding));
        if (autoRank) {
            embeddingRank = shape.ttmEmbedding() ? shape.autoEmbeddingRank() : 30;
            if (shape.ttmEmbedding()) {
                System.out.printf(Locale.ROOT, "--embedding-rank auto: %d for %d words (TTM %d parameters, %.1f%% of the dense table's %d)%n",
                        embeddingRank, shape.vocab(), shape.ttmParameters(embeddingRank),
                        100.0 * shape.ttmParameters(embeddingRank) / ((long) shape.vocab() * shape.hidden()), (long) shape.vocab() * shape.hidden());
            }
        }
        TransformerConfig config = shape.withRanks(rank, embeddingRank);
        Commands.refuseExistingRun(out, resume);
        Files.createDirectories(out);
        experiment.writeResolved(out);
        JointIntentSlotModel net = new JointIntentSlotModel(config, seed);
        if (positionInit.equals("sinusoidal")) {
            net.initSinusoidalPositions();
        }
        if (scaleInit.equals("lsq")) {
            WeightScaleInit.apply(net, LearnedScaleQuantizer.Init.LSQ);
        }
        int stepsPerEpoch = (train.size() + batch - 1) / batch;
        LrSchedule lrSchedule = schedule.equals("linear")
                ? new WarmupLinearDecay(lr, (int) Math.round(warmup * stepsPerEpoch), epochs * stepsPerEpoch) : new ConstantLr(lr);
        System.out.printf(Locale.ROOT, "train: %s %s INT%s, %d/%d/%d utterances, vocab %d, %d intents, %d slot tags, %d parameters%n",
                task, model, bits == 32 ? "-/FP32" : String.valueOf(bits), train.size(), valid.size(), test.size(),
                batcher.words().size(), batcher.intents().size(), batcher.slots().size(), net.parameterCount());
        Map<String, String> described = Map.of("config", TransformerConfigJson.write(config), "vocab", VocabularyJson.write(batcher));
        Trainer.Result run = Commands.run(injected(net, profile.attach(Trainer.builder(net, (BatchSource<JointBatcher.Batch>) order -> batcher.batches(train, batch, order)), net, out,
                "ttq train: " + model + " INT" + (bits == 32 ? "-/FP32" : bits) + ", batch " + batch)
                .phase("", epochs, () -> new Adam(net.parameters(), lr, 0.9f, 0.98f, 1e-8f, 0f), lrSchedule,
                        new JointTrainingStep(net, batcher, seed, unkReplace))
                .seed(seed).evaluator(JointEvaluator.evaluation(net, batcher, valid, slotDecoding), JointEvaluator.METRICS_HEADER)
                .runFolder(out).runKey(runKey()).checkpointMetadata(described).bestModel(described).resume(resume).stopAfterEpoch(stopAfter)
                .listener(new ProgressListener(out)).counts(JointBatcher.Batch::batch, JointTrainingStep::tokens)).build());
        profile.report(out);
        if (!run.finished()) {
            return 0;
        }
        TrainingCheckpoint.load(out.resolve(Trainer.BEST), net, null);
        JointEvaluator.Result evaluated = JointEvaluator.evaluate(net, batcher, test, slotDecoding);
        IntentSlotMetrics result = evaluated.metrics();
        PredictionFiles.write(out, "test", test, evaluated);
        long bytes = ModelSize.bytes(net), denseBytes = 4L * config.denseParameterCount();
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("task", task);
        results.put("model", model);
        results.put("bits", bits);
        results.put("intent_acc", result.intentAccuracy());
        results.put("slot_f1", result.slotF1());
        results.put("frame_acc", result.frameAccuracy());
        results.put("slot_token_acc", result.slotTokenAccuracy());
        results.put("slot_decoding", slotDecoding.label());
        results.put("params", net.parameterCount());
        results.put("size_mb", bytes / 1e6);
        results.put("compression", (double) denseBytes / bytes);
        results.put("train_seconds", run.trainSeconds());
        results.put("epochs", epochs);
        results.put("best_epoch", run.bestEpoch());
        results.put("seed", seed);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("results.json").toFile(), results);
        System.out.printf(Locale.ROOT, "test (best dev epoch %d): %s | %.3f MB (%.1fx) | %.1f s training; wrote %s%n",
                run.bestEpoch(), result.summary(), bytes / 1e6, (double) denseBytes / bytes, run.trainSeconds(), out);
        return 0;
    }

    /** The run with --inject-nan's listener added (a test hook for --detect-anomaly). */
    private <B> Trainer.Builder<B> injected(JointIntentSlotModel net, Trainer.Builder<B> run) {
        if (injectNan == null) {
            return run;
        }
        String[] f = injectNan.split("@");
        UsageException.require(f.length == 2 && net.stateDict().containsKey(f[0]) && f[1].matches("[1-9][0-9]*"),
                "--inject-nan must be PARAM@STEP with a parameter of the model and a step >= 1, got '" + injectNan + "'");
        long at = Long.parseLong(f[1]);
        return run.listener(new ttq.model.train.TrainingListener() {
            @Override
            public void stepStarted(ttq.model.train.StepInfo info) {
                if (info.stepsBefore() + 1 == at) {
                    net.stateDict().get(f[0]).data()[0] = Float.NaN;
                }
            }
        });
    }

    /** What must not change when resuming (epochs may grow under a constant rate; the linear schedule fixes them). */
    private String runKey() {
        String lrPart = schedule.equals("linear") ? String.format(Locale.ROOT, "lr=%s schedule=linear warmup=%s epochs=%d", lr, warmup, epochs)
                : String.format(Locale.ROOT, "lr=%s", lr);
        return String.format(Locale.ROOT, "task=%s data=%s model=%s bits=%d batch=%d %s seed=%d dropout=%s max_len=%d%s%s", task,
                data.toAbsolutePath().normalize(), model, bits, batch, lrPart, seed, dropout, maxLength,
                unkReplace > 0 ? " unk_replace=" + unkReplace : "", positionInit.equals("normal") ? "" : " position_init=" + positionInit)
                + (scaleInit.equals("max") ? "" : " scale_init=" + scaleInit)
                + (rank == 10 && embeddingRank == 30 ? "" : " rank=" + rank + " embedding_rank=" + embeddingRank)
                + (embedding.equals("ttm") ? "" : " embedding=" + embedding)
                // the decoding picks the best-dev epoch, so it belongs to the run
                + (slotDecoding == SlotDecoding.BIO ? "" : " slot_decoding=" + slotDecoding.label());
    }
}
