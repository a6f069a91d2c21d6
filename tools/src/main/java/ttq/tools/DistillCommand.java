package ttq.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import ttq.engine.GradMode;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.engine.optim.Adam;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.bert.BertStudent;
import ttq.model.bert.BertTokenizer;
import ttq.model.bert.BertWeights;
import ttq.model.bert.DistillationLoss;
import ttq.model.bert.GlueBatches;
import ttq.model.bert.GlueEvaluator;
import ttq.model.bert.SavedClassifier;
import ttq.model.bert.SequenceClassifier;
import ttq.model.data.GlueTask;
import ttq.model.metrics.BinaryMetrics;
import ttq.model.quant.WeightScaleInit;
import ttq.model.train.ModelSize;
import ttq.model.train.TrainingCheckpoint;

/**
 * {@code ttq distill}: learns a compressed student from a fine-tuned teacher ({@code ttq finetune}'s
 * run folder). Methods, all in the same budget of epochs:
 * <ul>
 * <li>{@code layerwise} (the paper): L_0, L_1, ..., L_L for {@code --phase-epochs} each at lr 1e-3,
 * then L_all (eq. 3, soft labels at temperature T) for {@code --final-epochs} at 5e-5;</li>
 * <li>{@code all}: L_all from the start, with the same epochs and learning rates;</li>
 * <li>{@code xtc}: XTC's ternary, half-depth student initialised from the teacher, one-stage KD
 * (L_all) for the whole budget at the final learning rate.</li>
 * </ul>
 * Checkpointed atomically after every epoch; {@code --resume} continues to the same result.
 */
@Command(name = "distill", mixinStandardHelpOptions = true,
        description = "Distill a TT/TTM (quantized) or XTC-style student from a fine-tuned teacher (ttq finetune's run folder).")
public final class DistillCommand implements Callable<Integer> {
    @Mixin
    ExperimentConfig.Option experiment;

    @Option(names = "--task", required = true, description = "sst2, mrpc or rte (must match the teacher's).")
    String task;

    @Option(names = "--teacher", required = true, paramLabel = "RUN", description = "A ttq finetune run folder (its best.safetensors).")
    Path teacherRun;

    @Option(names = "--data", defaultValue = "test-data/glue", description = "GLUE folder (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--method", defaultValue = "layerwise", description = "layerwise, all or xtc (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--rank", defaultValue = "30", description = "TT rank of every block linear (default ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--embedding-rank", defaultValue = "30", description = "TTM rank of the word table (default ${DEFAULT-VALUE}).")
    int embeddingRank;

    @Option(names = "--bits", defaultValue = "8", description = "32, 8, 4 or 2 for TT cores (default ${DEFAULT-VALUE}).")
    int bits;

    @Option(names = "--init", defaultValue = "svd", description = "random or svd (TT-SVD of the teacher's weights; default ${DEFAULT-VALUE}).")
    String init;

    @Option(names = "--scale-init", defaultValue = "max", description = "Start of the TT weight quantizers' scales: max (max|w| / Q_p) "
            + "or lsq (2 mean|w| / sqrt(Q_p)); default ${DEFAULT-VALUE}.")
    String scaleInit;

    @Option(names = "--binary", description = "XTC with binary instead of ternary weights.")
    boolean binary;

    @Option(names = "--phase-epochs", defaultValue = "1", description = "Epochs per layer loss L_0..L_L (default ${DEFAULT-VALUE}).")
    int phaseEpochs;

    @Option(names = "--final-epochs", defaultValue = "1", description = "Epochs of L_all (default ${DEFAULT-VALUE}).")
    int finalEpochs;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Learning rate of the layer losses (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--final-lr", defaultValue = "5e-5", description = "Learning rate of L_all (default ${DEFAULT-VALUE}).")
    float finalLr;

    @Option(names = "--temperature", defaultValue = "1", description = "Soft-label temperature T (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--batch", defaultValue = "32", description = "Default ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--train-limit", paramLabel = "N", description = "Distill on N training examples drawn (seeded); default all.")
    Integer trainLimit;

    @Option(names = "--seed", defaultValue = "1", description = "Default ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "RUN2", description = "Run folder.")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out.")
    boolean resume;

    @Option(names = "--stop-after-epochs", paramLabel = "N", hidden = true, description = "Stop (as if killed) after N epochs in total; for tests.")
    Integer stopAfter;

    /** One stage of the schedule: a loss (blocks matched; -1 = L_all) and a learning rate for some epochs. */
    record Phase(int blocks, float lr, int epochs) {
    }

    @Override
    public Integer call() throws Exception {
        GlueTask glue;
        try {
            glue = GlueTask.parse(task);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (!List.of("layerwise", "all", "xtc").contains(method)) {
            throw new UsageException("--method must be layerwise, all or xtc, got '" + method + "'");
        }
        if (!List.of("random", "svd").contains(init)) {
            throw new UsageException("--init must be random or svd, got '" + init + "'");
        }
        if (!List.of("max", "lsq").contains(scaleInit)) {
            throw new UsageException("--scale-init must be max or lsq, got '" + scaleInit + "'");
        }
        if (phaseEpochs < 0 || finalEpochs < 0 || phaseEpochs + finalEpochs == 0 || batch < 1 || !(lr > 0) || !(finalLr > 0)
                || !(temperature > 0) || (trainLimit != null && trainLimit < 1)) {
            throw new UsageException("--phase-epochs/--final-epochs must be >= 0 (not both 0); --batch, --lr, --final-lr, --temperature, "
                    + "--train-limit positive");
        }
        Path teacherFile = Files.isDirectory(teacherRun) ? teacherRun.resolve("best.safetensors") : teacherRun;
        SavedClassifier.Loaded teacher = SavedClassifier.load(teacherFile);
        if (!teacher.info().task().equals(glue.name().toLowerCase(Locale.ROOT))) {
            throw new UsageException("--teacher " + teacherRun + " was fine-tuned on " + teacher.info().task() + ", not " + task);
        }
        BertStudent.Spec spec;
        try {
            spec = new BertStudent.Spec(method.equals("xtc") ? BertStudent.Kind.XTC : BertStudent.Kind.TT, rank, method.equals("xtc") ? 32 : bits,
                    embeddingRank, init.equals("svd"), binary, 0);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        List<GlueTask.Example> trainExamples = GlueTask.sample(glue.read(data, "train"), trainLimit, seed), devExamples = glue.read(data, "dev");
        GlueBatches train, dev;
        try (BertTokenizer tok = teacher.tokenizer()) {
            train = new GlueBatches(tok, trainExamples);
            dev = new GlueBatches(tok, devExamples);
        }
        SequenceClassifier t = teacher.model();
        int teacherLayers = t.encoder().config().layers();
        SequenceClassifier student = new SequenceClassifier(
                BertStudent.build(t.encoder().config(), spec, BertWeights.toHuggingFace(t.encoder()), seed), t.pooling(), 2, seed);
        if (spec.svdInit() || spec.kind() == BertStudent.Kind.XTC) {
            student.copyHeadFrom(t);
        }
        if (scaleInit.equals("lsq")) {
            WeightScaleInit.apply(student, LearnedScaleQuantizer.Init.LSQ);
        }
        int studentLayers = student.encoder().config().layers();
        List<Phase> phases = new ArrayList<>();
        if (method.equals("layerwise")) {
            for (int k = 0; k <= studentLayers && phaseEpochs > 0; k++) {
                phases.add(new Phase(k, lr, phaseEpochs));
            }
        } else if (method.equals("all") && phaseEpochs > 0) {
            phases.add(new Phase(-1, lr, phaseEpochs * (studentLayers + 1)));
        }
        if (method.equals("xtc")) {
            phases.add(new Phase(-1, finalLr, phaseEpochs * (teacherLayers + 1) + finalEpochs)); // same epochs as layerwise on the teacher's depth
        } else if (finalEpochs > 0) {
            phases.add(new Phase(-1, finalLr, finalEpochs));
        }
        BinaryMetrics teacherDev = GlueEvaluator.evaluate(t, dev, 64).metrics();
        long teacherBytes = ModelSize.bytes(t), studentBytes = ModelSize.bytes(student);
        System.out.printf(Locale.ROOT, "distill %s (%s): teacher %s dev acc %.2f, %.1f MB; student %d blocks, %d parameters, %.2f MB (%.1fx); "
                        + "%d train / %d dev examples; phases %s%n", glue.folder(), method, teacher.info().teacher(), teacherDev.accuracy(),
                teacherBytes / 1e6, studentLayers, student.parameterCount(), studentBytes / 1e6, (double) teacherBytes / studentBytes, train.size(),
                dev.size(), phaseList(phases));
        Path checkpoint = out.resolve("checkpoint.safetensors");
        if (!resume && Files.exists(checkpoint)) {
            throw new UsageException(out + " already holds a run; use --resume to continue it or another --out");
        }
        Files.createDirectories(out);
        experiment.writeResolved(out); // after the check: a refused call must not overwrite the run's config.json
        int done = 0; // epochs completed over all phases
        double trainSeconds = 0;
        StringBuilder metrics = new StringBuilder("epoch,phase,loss,dev_acc,dev_f1\n");
        int total = phases.stream().mapToInt(Phase::epochs).sum();
        Map<String, String> resumed = null;
        if (resume && Files.exists(checkpoint)) {
            resumed = ttq.engine.io.SafeTensors.readMetadata(checkpoint);
            if (!runKey().equals(resumed.get("run"))) {
                throw new UsageException("--resume with different settings: the checkpoint was made by [" + resumed.get("run") + "], this call is ["
                        + runKey() + "]");
            }
            done = Integer.parseInt(resumed.get("epochs_done"));
            trainSeconds = Double.parseDouble(resumed.get("train_seconds"));
            metrics = new StringBuilder(resumed.get("metrics_csv"));
            System.out.printf("resuming %s after epoch %d of %d%n", out, done, total);
        }
        int epochIndex = 0;
        for (int pi = 0; pi < phases.size(); pi++) {
            Phase phase = phases.get(pi);
            if (epochIndex + phase.epochs() <= done) {
                epochIndex += phase.epochs();
                continue;
            }
            Adam opt = new Adam(student.parameters(), phase.lr(), 0.9f, 0.98f, 1e-8f, 0f);
            if (resumed != null && done > epochIndex) {
                TrainingCheckpoint.load(checkpoint, student, opt); // mid-phase: model and this phase's optimizer
                resumed = null;
            } else if (resumed != null) {
                TrainingCheckpoint.load(checkpoint, student, null); // at a phase boundary: a fresh optimizer
                resumed = null;
            }
            int blocks = phase.blocks() < 0 ? studentLayers : phase.blocks();
            for (int e = Math.max(0, done - epochIndex); e < phase.epochs(); e++) {
                int epoch = epochIndex + e + 1;
                String name = phase.blocks() < 0 ? "L_all" : "L_" + phase.blocks();
                long t0 = System.nanoTime();
                double lossSum = 0;
                student.train(true);
                List<GlueBatches.Batch> batches = train.shuffled(batch, seed * 1_000_003L + epoch);
                try (ProgressBar bar = new ProgressBarBuilder().setTaskName("epoch " + epoch + "/" + total + " " + name).setInitialMax(batches.size())
                        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().build()) {
                    for (int step = 0; step < batches.size(); step++) {
                        GlueBatches.Batch b = batches.get(step);
                        student.reseedDropout(seed, epoch, step);
                        opt.zeroGrad();
                        float value;
                        // The teacher runs outside the step's scope: without a graph its intermediates are garbage as soon as the
                        // forward pass returns (only the outputs matched below stay reachable), instead of being held to the step's end
                        SequenceClassifier.Outputs to;
                        try (GradMode.Scope noGrad = GradMode.noGrad()) {
                            to = t.forwardLayers(b.input(), teacherLayers);
                        }
                        try (StepScope ignored = StepScope.open()) {
                            SequenceClassifier.Outputs so = student.forwardLayers(b.input(), blocks);
                            Tensor loss = DistillationLoss.layers(to.encoder(), so.encoder(), blocks, teacherLayers, studentLayers);
                            if (phase.blocks() < 0) {
                                loss = loss.add(DistillationLoss.softLabels(to.logits(), so.logits(), temperature));
                            }
                            value = loss.item();
                            if (!Float.isFinite(value)) {
                                throw new ArithmeticException("distillation diverged: loss " + value + " at epoch " + epoch + " step " + (step + 1));
                            }
                            loss.backward();
                            opt.step();
                        }
                        lossSum += value;
                        bar.step();
                        bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", lossSum / (step + 1)));
                    }
                }
                trainSeconds += (System.nanoTime() - t0) / 1e9;
                BinaryMetrics m = GlueEvaluator.evaluate(student, dev, 64).metrics();
                metrics.append(String.format(Locale.ROOT, "%d,%s,%.6f,%.4f,%.4f%n", epoch, name, lossSum / batches.size(), m.accuracy(), m.f1()));
                System.out.printf(Locale.ROOT, "epoch %d/%d (%s): loss %.4f | dev acc %.2f, F1 %.2f%n", epoch, total, name, lossSum / batches.size(),
                        m.accuracy(), m.f1());
                Files.writeString(out.resolve("metrics.csv"), metrics, StandardCharsets.UTF_8);
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("epochs_done", Integer.toString(epoch));
                meta.put("train_seconds", Double.toString(trainSeconds));
                meta.put("metrics_csv", metrics.toString());
                meta.put("run", runKey());
                TrainingCheckpoint.save(checkpoint, student, opt, meta);
                if (stopAfter != null && epoch >= stopAfter && epoch < total) {
                    System.out.printf("stopped after epoch %d (--stop-after-epochs); continue with --resume%n", epoch);
                    return 0;
                }
            }
            epochIndex += phase.epochs();
        }
        BinaryMetrics m = GlueEvaluator.evaluate(student, dev, 64).metrics();
        TrainingCheckpoint.save(out.resolve("student.safetensors"), student, null, Map.of("run", runKey()));
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("task", teacher.info().task());
        results.put("method", method);
        results.put("rank", spec.kind() == BertStudent.Kind.TT ? rank : null);
        results.put("bits", spec.kind() == BertStudent.Kind.TT ? bits : (binary ? 1 : 2));
        results.put("init", spec.kind() == BertStudent.Kind.TT ? init : "teacher");
        results.put("dev_acc", m.accuracy());
        results.put("dev_f1", m.f1());
        results.put("teacher_dev_acc", teacherDev.accuracy());
        results.put("teacher_dev_f1", teacherDev.f1());
        results.put("params", student.parameterCount());
        results.put("size_mb", studentBytes / 1e6);
        results.put("teacher_size_mb", teacherBytes / 1e6);
        results.put("compression", (double) teacherBytes / studentBytes);
        results.put("encoder_gflops_128", encoderFlops(student, 128) / 1e9);
        results.put("teacher_encoder_gflops_128", encoderFlops(t, 128) / 1e9);
        results.put("train_examples", train.size());
        results.put("epochs", total);
        results.put("train_seconds", trainSeconds);
        results.put("seed", seed);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("results.json").toFile(), results);
        System.out.printf(Locale.ROOT, "student dev acc %.2f, F1 %.2f (teacher %.2f / %.2f) | %.2f MB (%.1fx) | %.1f s; wrote %s%n", m.accuracy(), m.f1(),
                teacherDev.accuracy(), teacherDev.f1(), studentBytes / 1e6, (double) teacherBytes / studentBytes, trainSeconds, out);
        return 0;
    }

    /**
     * FLOPs of the encoder's linear layers for one sequence of {@code tokens} tokens, as the paper's
     * Table 4 counts them (matrix products in encoders only): 2 in out per token for a dense or
     * ternary layer, the executed order's count for a TT layer (its cores are merged once per sequence).
     */
    static double encoderFlops(SequenceClassifier model, int tokens) {
        double f = 0;
        for (ttq.engine.nn.Module m : model.encoder().namedModules().values()) {
            if (m instanceof ttq.model.tt.TtLinear tt) {
                f += tt.usesFusedPath(tokens) ? tt.fusedFlops(tokens) : tt.plan(tokens).flops();
            } else if (m instanceof ttq.model.Linear l) {
                f += 2.0 * tokens * l.inFeatures() * l.outFeatures();
            } else if (m instanceof ttq.model.quant.TernaryLinear l) {
                f += 2.0 * tokens * l.weight().numel();
            }
        }
        return f;
    }

    private static String phaseList(List<Phase> phases) {
        StringBuilder sb = new StringBuilder();
        for (Phase p : phases) {
            sb.append(sb.length() == 0 ? "" : ", ").append(p.blocks() < 0 ? "L_all" : "L_" + p.blocks()).append(" x").append(p.epochs())
                    .append(String.format(Locale.ROOT, " @%.0e", p.lr()));
        }
        return sb.toString();
    }

    private String runKey() {
        return String.format(Locale.ROOT, "task=%s teacher=%s data=%s method=%s rank=%d erank=%d bits=%d init=%s binary=%s phase=%d final=%d lr=%s "
                        + "final_lr=%s T=%s batch=%d limit=%s seed=%d", task, teacherRun.toAbsolutePath().normalize(), data.toAbsolutePath().normalize(),
                method, rank, embeddingRank, bits, init, binary, phaseEpochs, finalEpochs, lr, finalLr, temperature, batch, trainLimit, seed)
                + (scaleInit.equals("max") ? "" : " scale_init=" + scaleInit);
    }
}
