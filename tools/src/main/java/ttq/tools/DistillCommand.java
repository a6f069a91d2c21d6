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
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.bert.BertStudent;
import ttq.model.bert.BertTokenizer;
import ttq.model.bert.DistillationSchedule;
import ttq.model.bert.DistillationStep;
import ttq.model.bert.GlueBatches;
import ttq.model.bert.GlueEvaluator;
import ttq.model.bert.SavedClassifier;
import ttq.model.bert.SavedStudent;
import ttq.model.bert.SequenceClassifier;
import ttq.model.data.GlueTask;
import ttq.model.metrics.BinaryMetrics;
import ttq.model.quant.WeightScaleInit;
import ttq.model.train.ModelSize;
import ttq.model.train.BatchSource;
import ttq.model.train.Trainer;
import ttq.model.train.TrainingCheckpoint;

/**
 * {@code ttq distill}: learns a compressed student from a fine-tuned teacher ({@code ttq finetune}'s
 * run folder). Methods, all in the same budget of epochs:
 * layerwise (the paper), all, or xtc (XTC's ternary half-depth student), as
 * {@link DistillationSchedule} sets them out.
 * The phases run as one {@link Trainer} run (a fresh Adam per phase), checkpointed atomically after
 * every epoch; {@code --resume} continues to the same result, across phase boundaries too.
 */
@Command(name = "distill", mixinStandardHelpOptions = true,
        description = "Distill a TT/TTM (quantized) or XTC-style student from a fine-tuned teacher (ttq finetune's run folder).")
public final class DistillCommand implements Callable<Integer> {
    @Mixin
    ExperimentConfig.Option experiment;

    @Mixin
    ProfileOption profile;

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

    @Override
    public Integer call() throws Exception {
        GlueTask glue = Commands.glueTask(task);
        profile.check();
        UsageException.require(List.of("layerwise", "all", "xtc").contains(method), "--method must be layerwise, all or xtc, got '" + method + "'");
        UsageException.require(List.of("random", "svd").contains(init), "--init must be random or svd, got '" + init + "'");
        UsageException.require(List.of("max", "lsq").contains(scaleInit), "--scale-init must be max or lsq, got '" + scaleInit + "'");
        UsageException.require(phaseEpochs >= 0 && finalEpochs >= 0 && phaseEpochs + finalEpochs > 0 && batch >= 1 && lr > 0 && finalLr > 0
                && temperature > 0 && (trainLimit == null || trainLimit >= 1), "--phase-epochs/--final-epochs must be >= 0 (not both 0); --batch, "
                + "--lr, --final-lr, --temperature, --train-limit positive");
        Path teacherFile = Files.isDirectory(teacherRun) ? teacherRun.resolve("best.safetensors") : teacherRun;
        SavedClassifier.Loaded teacher = SavedClassifier.load(teacherFile);
        if (!teacher.info().task().equals(glue.name().toLowerCase(Locale.ROOT))) {
            throw new UsageException("--teacher " + teacherRun + " was fine-tuned on " + teacher.info().task() + ", not " + task);
        }
        BertStudent.Spec spec = Commands.usage(() -> BertStudent.Spec.builder().kind(method.equals("xtc") ? BertStudent.Kind.XTC : BertStudent.Kind.TT)
                .rank(rank).bits(method.equals("xtc") ? 32 : bits).embeddingRank(embeddingRank).svdInit(init.equals("svd")).binary(binary).build());
        List<GlueTask.Example> trainExamples = GlueTask.sample(glue.read(data, "train"), trainLimit, seed), devExamples = glue.read(data, "dev");
        GlueBatches train, dev;
        try (BertTokenizer tok = teacher.tokenizer()) {
            train = new GlueBatches(tok, trainExamples);
            dev = new GlueBatches(tok, devExamples);
        }
        Commands.warn(train.truncationWarning(glue.folder() + " train"));
        Commands.warn(dev.truncationWarning(glue.folder() + " dev"));
        SequenceClassifier t = teacher.model();
        int teacherLayers = t.encoder().config().layers();
        SequenceClassifier student = BertStudent.classifier(t, spec, seed);
        if (scaleInit.equals("lsq")) {
            WeightScaleInit.apply(student, LearnedScaleQuantizer.Init.LSQ);
        }
        int studentLayers = student.encoder().config().layers();
        List<DistillationSchedule.Stage> stages = DistillationSchedule.of(method, studentLayers, teacherLayers, phaseEpochs, finalEpochs, lr, finalLr);
        BinaryMetrics teacherDev = GlueEvaluator.evaluate(t, dev, 64).metrics();
        long teacherBytes = ModelSize.bytes(t), studentBytes = ModelSize.bytes(student);
        System.out.printf(Locale.ROOT, "distill %s (%s): teacher %s dev acc %.2f, %.1f MB; student %d blocks, %d parameters, %.2f MB (%.1fx); "
                        + "%d train / %d dev examples; phases %s%n", glue.folder(), method, teacher.info().teacher(), teacherDev.accuracy(),
                teacherBytes / 1e6, studentLayers, student.parameterCount(), studentBytes / 1e6, (double) teacherBytes / studentBytes, train.size(),
                dev.size(), DistillationSchedule.describe(stages));
        Commands.refuseExistingRun(out, resume);
        Files.createDirectories(out);
        experiment.writeResolved(out); // after the check: a refused call must not overwrite the run's config.json
        Trainer.Builder<DistillationStep.Batch> run = Trainer.builder(student,
                (BatchSource<DistillationStep.Batch>) order -> train.shuffled(batch, order).stream().map(DistillationStep.Batch::new).toList());
        for (DistillationSchedule.Stage stage : stages) {
            run.phase(stage.name(), stage.epochs(), () -> new Adam(student.parameters(), stage.lr(), 0.9f, 0.98f, 1e-8f, 0f), null,
                    new DistillationStep(t, student, stage, temperature, seed));
        }
        Trainer.Result result = Commands.run(profile.attach(run, student, out, "ttq distill: " + task + " " + method + " INT" + bits)
                .seed(seed)
                .evaluator(GlueEvaluator.evaluation(student, dev, glue), "epoch,phase,loss,dev_acc,dev_f1\n")
                .phaseColumn(true).bestModel(null).runFolder(out).runKey(runKey()).resume(resume).stopAfterEpoch(stopAfter)
                .listener(new ProgressListener(out)).build());
        profile.report(out);
        if (!result.finished()) {
            return 0;
        }
        GlueEvaluator.Result evaluated = GlueEvaluator.evaluate(student, dev, 64);
        GlueEvaluator.writePredictions(out.resolve("dev_predictions.tsv"), evaluated, dev);
        BinaryMetrics m = evaluated.metrics();
        TrainingCheckpoint.save(out.resolve("student.safetensors"), student, null, spec.kind() == BertStudent.Kind.TT
                ? SavedStudent.metadata(teacher.info(), spec, runKey()) : Map.of("run", runKey()));
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
        results.put("encoder_gflops_128", student.encoderFlops(128) / 1e9);
        results.put("teacher_encoder_gflops_128", t.encoderFlops(128) / 1e9);
        results.put("train_examples", train.size());
        results.put("epochs", stages.stream().mapToInt(DistillationSchedule.Stage::epochs).sum());
        results.put("train_seconds", result.trainSeconds());
        results.put("seed", seed);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("results.json").toFile(), results);
        System.out.printf(Locale.ROOT, "student dev acc %.2f, F1 %.2f (teacher %.2f / %.2f) | %.2f MB (%.1fx) | %.1f s; wrote %s%n", m.accuracy(), m.f1(),
                teacherDev.accuracy(), teacherDev.f1(), studentBytes / 1e6, (double) teacherBytes / studentBytes, result.trainSeconds(), out);
        return 0;
    }

    private String runKey() {
        return String.format(Locale.ROOT, "task=%s teacher=%s data=%s method=%s rank=%d erank=%d bits=%d init=%s binary=%s phase=%d final=%d lr=%s "
                        + "final_lr=%s T=%s batch=%d limit=%s seed=%d", task, teacherRun.toAbsolutePath().normalize(), data.toAbsolutePath().normalize(),
                method, rank, embeddingRank, bits, init, binary, phaseEpochs, finalEpochs, lr, finalLr, temperature, batch, trainLimit, seed)
                + (scaleInit.equals("max") ? "" : " scale_init=" + scaleInit);
    }
}
