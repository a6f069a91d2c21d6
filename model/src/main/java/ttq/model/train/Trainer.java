package ttq.model.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.engine.io.SafeTensors;
import ttq.engine.nn.Module;
import ttq.engine.optim.GradientClipping;
import ttq.engine.optim.LrSchedule;
import ttq.engine.optim.Optimizer;
import ttq.engine.profile.Profiler;

/**
 * The training loop, once: {@code ttq train}, {@code finetune}, {@code distill} and users' own main
 * classes run it. A run is one or more {@link Phase}s (distillation's L_0 .. L_L, L_all; a single
 * phase otherwise), each with its own optimizer, schedule and step, over epochs numbered across
 * the whole run. Per step: the batches of the epoch in the order {@code seed * 1_000_003 + epoch}
 * gives, the step's {@link TrainingStep#prepare}, then zeroed gradients, a {@link StepScope}, the
 * loss (a NaN or infinite loss stops the run naming the epoch and step), backward, optional global
 * norm clipping, the schedule and the optimizer step. Per epoch: the dev {@link Evaluation}, a row
 * of RUN/metrics.csv, RUN/best.safetensors when the score improved, and RUN/checkpoint.safetensors
 * (model, optimizer and the loop's state, written atomically), also every N steps if asked. A
 * killed run continues with {@code resume} to bit-identical weights, mid-epoch included.
 * {@link TrainingListener}s see every step and epoch without touching the loop.
 *
 * <pre>{@code
 * Trainer.Result r = Trainer.builder(model, batcher::epochBatches)
 *         .phase("train", 10, () -> new Adam(model.parameters(), 1e-3f, 0.9f, 0.98f, 1e-8f, 0f), null, step)
 *         .seed(1).evaluator(dev).runFolder(Path.of("runs/mine")).resume(true).build().run();
 * }</pre>
 */
public final class Trainer<B> {
    /** File names in the run folder. */
    public static final String CHECKPOINT = "checkpoint.safetensors", BEST = "best.safetensors", METRICS = "metrics.csv";

    /**
     * One stage of a run: its name (in metrics.csv and progress), epochs, a fresh optimizer for it,
     * a learning-rate schedule applied before every update (null: the optimizer's own rate), and the step.
     */
    public record Phase<B>(String name, int epochs, Supplier<? extends Optimizer> optimizer, LrSchedule schedule, TrainingStep<B> step) {
        /** Validates the epochs and that every part is there. */
        public Phase {
            Objects.requireNonNull(name, "phase name");
            Objects.requireNonNull(optimizer, "phase optimizer");
            Objects.requireNonNull(step, "phase step");
            if (epochs < 1) {
                throw new IllegalArgumentException("phase " + name + ": epochs must be >= 1, got " + epochs);
            }
        }
    }

    /**
     * How a run ended: whether it finished (or stopped early as asked), the epochs completed, the
     * best epoch and score (0 and -infinity without an evaluator), the seconds spent in training steps and
     * the metrics CSV.
     */
    public record Result(boolean finished, int epochs, int bestEpoch, double bestScore, double trainSeconds, String metricsCsv) {
    }

    private final Module model;
    private final BatchSource<B> batches;
    private final List<Phase<B>> phases;
    private final long seed;
    private final Evaluation.Evaluator evaluator;
    private final String metricsHeader;
    private final boolean phaseColumn;
    private final float clipNorm;
    private final int checkpointEvery;
    private final boolean detectAnomaly;
    private final Path runFolder;
    private final String runKey;
    private final Map<String, String> checkpointMetadata, bestMetadata;
    private final boolean resume;
    private final Integer stopAfterEpoch;
    private final Long stopAfterSteps;
    private final List<TrainingListener> listeners;
    private final ToIntFunction<B> examples;
    private final ToLongFunction<B> tokens;

    private Trainer(Builder<B> b) {
        this.model = b.model;
        this.batches = b.batches;
        this.phases = List.copyOf(b.phases);
        this.seed = b.seed;
        this.evaluator = b.evaluator;
        this.metricsHeader = b.metricsHeader;
        this.phaseColumn = b.phaseColumn != null ? b.phaseColumn : b.phases.size() > 1;
        this.clipNorm = b.clipNorm;
        this.checkpointEvery = b.checkpointEvery;
        this.detectAnomaly = b.detectAnomaly;
        this.runFolder = b.runFolder;
        this.runKey = b.runKey;
        this.checkpointMetadata = Map.copyOf(b.checkpointMetadata);
        this.bestMetadata = b.bestMetadata == null ? null : Map.copyOf(b.bestMetadata);
        this.resume = b.resume;
        this.stopAfterEpoch = b.stopAfterEpoch;
        this.stopAfterSteps = b.stopAfterSteps;
        this.listeners = List.copyOf(b.listeners);
        this.examples = b.examples;
        this.tokens = b.tokens;
    }

    /** A builder for a run of {@code model} on the batches {@code batches} gives per epoch. */
    public static <B> Builder<B> builder(Module model, BatchSource<B> batches) {
        return new Builder<>(model, batches);
    }

    /**
     * Throws {@link RunMismatchException} when {@code runFolder} already holds a run and it is not to
     * be resumed: callers check this before writing anything of their own into the folder.
     */
    public static void refuseExistingRun(Path runFolder, boolean resume) {
        if (Files.exists(runFolder.resolve(CHECKPOINT)) && !resume) {
            throw new RunMismatchException(runFolder + " already holds a run (" + CHECKPOINT + "): resume it (--resume) or choose another "
                    + "run folder (--out)");
        }
    }

    /** Epochs over all phases. */
    public int totalEpochs() {
        return phases.stream().mapToInt(Phase::epochs).sum();
    }

    /** The run's state between steps, as the checkpoint stores it. */
    private static final class State {
        int epoch = 1;          // the epoch to run next (1-based, over all phases)
        int firstStep = 0;      // its first step (after a mid-epoch resume)
        double lossSum = 0;     // of the current epoch's steps so far
        long stepsDone = 0;     // over the whole run
        int bestEpoch = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        double trainSeconds = 0;
        StringBuilder metrics;
    }

    /**
     * Runs (or continues) the training. Throws {@link RunMismatchException} when the run folder holds a
     * run and {@code resume} is off, when its checkpoint was made with another run key, or when a stop
     * point lies before what is done; {@link ArithmeticException} on a non-finite loss.
     */
    public Result run() throws IOException {
        if (!detectAnomaly) {
            return runPhases();
        }
        ttq.engine.check.AnomalyDetection.enable(model);
        try {
            return runPhases();
        } finally {
            ttq.engine.check.AnomalyDetection.enable(false);
        }
    }

    private Result runPhases() throws IOException {
        Path checkpoint = runFolder.resolve(CHECKPOINT), best = runFolder.resolve(BEST);
        refuseExistingRun(runFolder, resume);
        Files.createDirectories(runFolder);
        int total = totalEpochs();
        State s = new State();
        s.metrics = new StringBuilder(metricsHeader);
        int checkpointPhase = -1;
        boolean modelPending = false; // the checkpoint's weights still to be loaded (with the phase's optimizer)
        if (resume && Files.exists(checkpoint)) {
            Map<String, String> meta = SafeTensors.readMetadata(checkpoint);
            restore(meta, s, checkpoint);
            checkpointPhase = phaseOf(Integer.parseInt(meta.get("epoch")));
            modelPending = true;
            for (TrainingListener l : listeners) {
                l.resumed(checkpoint, s.epoch, s.firstStep);
            }
            if (stopAfterEpoch != null && stopAfterEpoch < s.epoch && s.epoch <= total) {
                throw new RunMismatchException("stop after epoch " + stopAfterEpoch + ": the run has already finished epoch " + (s.epoch - 1));
            }
        }
        int before = 0; // epochs of the phases before p
        for (int p = 0; p < phases.size(); p++) {
            Phase<B> phase = phases.get(p);
            int last = before + phase.epochs();
            if (s.epoch > last) {
                before = last;
                continue;
            }
            Optimizer opt = phase.optimizer().get();
            if (modelPending) {
                // mid-phase: the phase's optimizer state too; at a phase boundary the new phase starts a fresh one
                TrainingCheckpoint.load(checkpoint, model, checkpointPhase == p ? opt : null);
                modelPending = false;
            }
            for (; s.epoch <= last; s.epoch++) {
                if (!runEpoch(phase, opt, s, total, checkpoint, best)) {
                    return new Result(false, s.epoch, s.bestEpoch, s.bestScore, s.trainSeconds, s.metrics.toString());
                }
            }
            before = last;
        }
        if (modelPending) { // a finished run resumed: its final weights
            TrainingCheckpoint.load(checkpoint, model, null);
        }
        return new Result(true, total, s.bestEpoch, s.bestScore, s.trainSeconds, s.metrics.toString());
    }

    /** An anomaly with where it happened in the run and which checkpoint is left. */
    private ttq.engine.check.AnomalyException anomalyAt(ttq.engine.check.AnomalyException e, int epoch, int step, int steps, Phase<B> phase,
                                                        Path checkpoint) {
        String kept;
        try {
            Map<String, String> meta = Files.exists(checkpoint) ? SafeTensors.readMetadata(checkpoint) : null;
            kept = meta == null ? "; no checkpoint was written yet" : "; the last checkpoint " + checkpoint + " (epoch " + meta.get("epoch")
                    + ", step " + meta.get("step") + " of " + meta.get("steps") + ") is kept";
        } catch (IOException io) {
            kept = "";
        }
        return e.at("at epoch " + epoch + " step " + (step + 1) + " of " + steps + (phases.size() > 1 ? " (" + phase.name() + ")" : "") + kept);
    }

    /** One epoch (or its rest after a resume); false when the run stops after it or within it, as asked. */
    private boolean runEpoch(Phase<B> phase, Optimizer opt, State s, int total, Path checkpoint, Path best) throws IOException {
        int epoch = s.epoch;
        model.train(true);
        List<B> list = batches.epoch(seed * 1_000_003L + epoch);
        int first = s.firstStep;
        s.firstStep = 0;
        if (first == 0) {
            s.lossSum = 0;
        }
        for (TrainingListener l : listeners) {
            l.epochStarted(epoch, total, phase.name(), list.size(), first);
        }
        long t0 = System.nanoTime();
        for (int step = first; step < list.size(); step++) {
            StepInfo info = new StepInfo(epoch, step, list.size(), phase.name(), s.stepsDone);
            for (TrainingListener l : listeners) {
                l.stepStarted(info);
            }
            B b;
            try (Profiler.Scope p = Profiler.section("prepare batch")) {
                b = phase.step().prepare(list.get(step), info);
            }
            try (Profiler.Scope p = Profiler.section("zero gradients")) {
                opt.zeroGrad();
            }
            float value;
            StepScope scope = StepScope.open(); // this step's activations are reused by the next
            try {
                Tensor loss;
                try {
                    loss = phase.step().loss(b, info);
                } catch (ttq.engine.check.AnomalyException e) {
                    throw anomalyAt(e, epoch, step, list.size(), phase, checkpoint);
                }
                value = loss.item();
                if (!Float.isFinite(value)) {
                    throw new ArithmeticException("training diverged: loss " + value + " at epoch " + epoch + " step " + (step + 1)
                            + (phases.size() > 1 ? " (" + phase.name() + ")" : ""));
                }
                try {
                    loss.backward();
                } catch (ttq.engine.check.AnomalyException e) {
                    throw anomalyAt(e, epoch, step, list.size(), phase, checkpoint);
                }
                try (Profiler.Scope p = Profiler.section("optimizer")) {
                    if (clipNorm > 0) {
                        GradientClipping.clipGlobalNorm(model.parameters(), clipNorm);
                    }
                    if (phase.schedule() != null) {
                        phase.schedule().applyTo(opt);
                    }
                    opt.step();
                }
            } finally {
                try (Profiler.Scope p = Profiler.section("release step memory")) {
                    scope.close();
                }
            }
            s.lossSum += value;
            s.stepsDone++;
            int n = examples == null ? 0 : examples.applyAsInt(b);
            long t = tokens == null ? 0 : tokens.applyAsLong(b);
            for (TrainingListener l : listeners) {
                l.stepFinished(info, value, s.lossSum / (step + 1), n, t);
            }
            boolean stop = stopAfterSteps != null && s.stepsDone >= stopAfterSteps;
            if ((checkpointEvery > 0 && (step + 1) % checkpointEvery == 0) || stop) {
                save(checkpoint, opt, s, epoch, step + 1, list.size(), s.trainSeconds + (System.nanoTime() - t0) / 1e9);
            }
            if (stop && step + 1 < list.size()) {
                stopped(epoch, s);
                return false;
            }
        }
        s.trainSeconds += (System.nanoTime() - t0) / 1e9;
        Evaluation dev = evaluator == null ? null : evaluator.evaluate();
        double meanLoss = s.lossSum / list.size();
        s.metrics.append(epoch).append(phaseColumn ? "," + phase.name() : "").append(String.format(Locale.ROOT, ",%.6f", meanLoss))
                .append(dev == null ? "" : "," + dev.csv()).append('\n');
        for (TrainingListener l : listeners) {
            l.epochFinished(epoch, total, phase.name(), meanLoss, dev);
        }
        if (dev != null && bestMetadata != null && dev.score() > s.bestScore) {
            s.bestScore = dev.score();
            s.bestEpoch = epoch;
            Map<String, String> m = new LinkedHashMap<>(bestMetadata);
            m.put("epoch", Integer.toString(epoch));
            TrainingCheckpoint.save(best, model, null, m);
        }
        Files.writeString(runFolder.resolve(METRICS), s.metrics, StandardCharsets.UTF_8);
        save(checkpoint, opt, s, epoch, list.size(), list.size(), s.trainSeconds);
        boolean more = epoch < total;
        if (more && ((stopAfterEpoch != null && epoch >= stopAfterEpoch) || (stopAfterSteps != null && s.stepsDone >= stopAfterSteps))) {
            stopped(epoch, s);
            return false;
        }
        return true;
    }

    private void stopped(int epoch, State s) {
        for (TrainingListener l : listeners) {
            l.stopped(epoch, s.stepsDone);
        }
    }

    private void save(Path checkpoint, Optimizer opt, State s, int epoch, int step, int steps, double seconds) throws IOException {
        Map<String, String> m = new LinkedHashMap<>(checkpointMetadata);
        m.put("epoch", Integer.toString(epoch));
        m.put("step", Integer.toString(step));
        m.put("steps", Integer.toString(steps));
        m.put("steps_done", Long.toString(s.stepsDone));
        m.put("loss_sum", Double.toString(s.lossSum));
        m.put("best_dev", Double.toString(s.bestScore));
        m.put("best_epoch", Integer.toString(s.bestEpoch));
        m.put("train_seconds", Double.toString(seconds));
        m.put("metrics_csv", s.metrics.toString());
        m.put("run", runKey);
        TrainingCheckpoint.save(checkpoint, model, opt, m);
        for (TrainingListener l : listeners) {
            l.checkpointed(checkpoint, epoch, step);
        }
    }

    /** The loop's state from a checkpoint's metadata (the weights are loaded with the phase's optimizer). */
    private void restore(Map<String, String> meta, State s, Path checkpoint) {
        if (!runKey.equals(meta.get("run"))) {
            throw new RunMismatchException("resuming with different settings: the checkpoint was made by [" + meta.get("run")
                    + "], this run is [" + runKey + "]");
        }
        try {
            int epoch = Integer.parseInt(meta.get("epoch")), step = Integer.parseInt(meta.get("step"));
            int steps = Integer.parseInt(meta.get("steps"));
            s.stepsDone = Long.parseLong(meta.get("steps_done"));
            s.lossSum = Double.parseDouble(meta.get("loss_sum"));
            s.bestScore = Double.parseDouble(meta.get("best_dev"));
            s.bestEpoch = Integer.parseInt(meta.get("best_epoch"));
            s.trainSeconds = Double.parseDouble(meta.get("train_seconds"));
            s.metrics = new StringBuilder(Objects.requireNonNull(meta.get("metrics_csv")));
            if (step >= steps) {
                s.epoch = epoch + 1;
                s.firstStep = 0;
                s.lossSum = 0;
            } else {
                s.epoch = epoch;
                s.firstStep = step;
            }
        } catch (RuntimeException e) { // a missing or garbled field: not a checkpoint of this trainer
            throw new IllegalArgumentException(checkpoint + ": checkpoint metadata is incomplete or malformed (" + e.getMessage() + ")");
        }
    }

    /** The phase (index) that runs epoch e. */
    private int phaseOf(int epoch) {
        int last = 0;
        for (int p = 0; p < phases.size(); p++) {
            last += phases.get(p).epochs();
            if (epoch <= last) {
                return p;
            }
        }
        return phases.size() - 1;
    }

    /** Configures a {@link Trainer}; {@link #phase} at least once, {@link #runFolder} always. */
    public static final class Builder<B> {
        private final Module model;
        private final BatchSource<B> batches;
        private final List<Phase<B>> phases = new ArrayList<>();
        private long seed = 1;
        private Evaluation.Evaluator evaluator;
        private String metricsHeader;
        private Boolean phaseColumn;
        private float clipNorm;
        private int checkpointEvery;
        private boolean detectAnomaly;
        private Path runFolder;
        private String runKey = "";
        private final Map<String, String> checkpointMetadata = new LinkedHashMap<>();
        private Map<String, String> bestMetadata = Map.of();
        private boolean resume;
        private Integer stopAfterEpoch;
        private Long stopAfterSteps;
        private final List<TrainingListener> listeners = new ArrayList<>();
        private ToIntFunction<B> examples;
        private ToLongFunction<B> tokens;

        private Builder(Module model, BatchSource<B> batches) {
            this.model = Objects.requireNonNull(model, "model");
            this.batches = Objects.requireNonNull(batches, "batches");
        }

        /** Adds a phase (see {@link Phase}); a run has one or more, run in order. */
        public Builder<B> phase(String name, int epochs, Supplier<? extends Optimizer> optimizer, LrSchedule schedule, TrainingStep<B> step) {
            phases.add(new Phase<>(name, epochs, optimizer, schedule, step));
            return this;
        }

        /** The seed of the batch order ({@code seed * 1_000_003 + epoch} per epoch); default 1. */
        public Builder<B> seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * The dev evaluation after each epoch and the metrics.csv header for its columns (after
         * "epoch", the phase when there are several, and the epoch's mean loss).
         */
        public Builder<B> evaluator(Evaluation.Evaluator evaluator, String metricsHeader) {
            this.evaluator = evaluator;
            this.metricsHeader = metricsHeader;
            return this;
        }

        /** Whether metrics.csv has a phase column after the epoch (default: when the run has several phases). */
        public Builder<B> phaseColumn(boolean on) {
            this.phaseColumn = on;
            return this;
        }

        /** Clips the gradients' global L2 norm to this before every update (0: no clipping, the default). */
        public Builder<B> clipGradNorm(float maxNorm) {
            if (!(maxNorm >= 0)) {
                throw new IllegalArgumentException("clip norm must be >= 0, got " + maxNorm);
            }
            this.clipNorm = maxNorm;
            return this;
        }

        /**
         * Checks every op's forward output and backward gradient for NaN and infinity during training
         * ({@link ttq.engine.check.AnomalyDetection}, module paths under the model); the first one found stops the run with an
         * {@link ttq.engine.check.AnomalyException} naming op, module, pass and step, the last checkpoint kept. Off by default.
         */
        public Builder<B> detectAnomaly(boolean on) {
            this.detectAnomaly = on;
            return this;
        }

        /** Also checkpoints every {@code steps} steps within an epoch (0: at epoch ends only, the default). */
        public Builder<B> checkpointEvery(int steps) {
            if (steps < 0) {
                throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + steps);
            }
            this.checkpointEvery = steps;
            return this;
        }

        /** The run folder: checkpoint.safetensors, best.safetensors and metrics.csv go here. */
        public Builder<B> runFolder(Path folder) {
            this.runFolder = folder;
            return this;
        }

        /** What must not change for a resume to be exact (the options that shape the run); refused on a mismatch. */
        public Builder<B> runKey(String key) {
            this.runKey = key;
            return this;
        }

        /** Extra metadata of every checkpoint (e.g. the model configuration and vocabularies, so it can be opened as a model). */
        public Builder<B> checkpointMetadata(Map<String, String> metadata) {
            this.checkpointMetadata.putAll(metadata);
            return this;
        }

        /** Metadata of best.safetensors, the best-dev model (null: no best file is kept); default empty. */
        public Builder<B> bestModel(Map<String, String> metadata) {
            this.bestMetadata = metadata;
            return this;
        }

        /** Continue the run in the run folder from its checkpoint (a folder without one starts afresh). */
        public Builder<B> resume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /** Stop after checkpointing this epoch, as if killed there (null: never). */
        public Builder<B> stopAfterEpoch(Integer epoch) {
            this.stopAfterEpoch = epoch;
            return this;
        }

        /** Stop after this many steps of the whole run, checkpointed, as if killed there (null: never). */
        public Builder<B> stopAfterSteps(Long steps) {
            this.stopAfterSteps = steps;
            return this;
        }

        /** Adds a listener. */
        public Builder<B> listener(TrainingListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** How to count a batch's examples and tokens for the listeners (default: not counted). */
        public Builder<B> counts(ToIntFunction<B> examples, ToLongFunction<B> tokens) {
            this.examples = examples;
            this.tokens = tokens;
            return this;
        }

        /** The trainer; checks that the run has a phase and a folder. */
        public Trainer<B> build() {
            if (phases.isEmpty()) {
                throw new IllegalStateException("a run needs at least one phase");
            }
            Objects.requireNonNull(runFolder, "run folder");
            if (metricsHeader == null) {
                metricsHeader = "epoch" + ((phaseColumn != null ? phaseColumn : phases.size() > 1) ? ",phase" : "") + ",train_loss\n";
            }
            if (stopAfterEpoch != null && stopAfterEpoch < 1 || stopAfterSteps != null && stopAfterSteps < 1) {
                throw new IllegalArgumentException("stop points must be >= 1");
            }
            return new Trainer<>(this);
        }
    }
}
