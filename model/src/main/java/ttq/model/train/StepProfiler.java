package ttq.model.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import ttq.engine.nn.Module;
import ttq.engine.profile.ProfileReport;
import ttq.engine.profile.Profiler;

/**
 * A {@link TrainingListener} that profiles {@code steps} training steps after {@code warmup} steps
 * (the JIT compiles and buffers settle first) and writes profile.md, profile.csv and trace.json
 * into a folder ({@link ProfileReport#write}). Attach it to a {@link Trainer}; the run is otherwise
 * unchanged.
 */
public final class StepProfiler implements TrainingListener {
    private final Module model;
    private final int warmup, steps;
    private final Path folder;
    private final String title;
    private Profiler profiler;
    private int recorded;
    private ProfileReport report;

    /** Profiles steps [warmup, warmup + steps) of the run (counted from this listener's first step) into folder. */
    public StepProfiler(Module model, int warmup, int steps, Path folder, String title) {
        if (warmup < 0 || steps < 1) {
            throw new IllegalArgumentException("profile: warm-up must be >= 0 and steps >= 1, got " + warmup + " and " + steps);
        }
        this.model = model;
        this.warmup = warmup;
        this.steps = steps;
        this.folder = folder;
        this.title = title;
    }

    private int seen;

    @Override
    public void stepStarted(StepInfo step) {
        if (seen++ == warmup && report == null) {
            profiler = Profiler.start(model);
        }
    }

    @Override
    public void stepFinished(StepInfo step, float loss, double meanLoss, int examples, long tokens) {
        if (profiler != null && ++recorded == steps) {
            finish();
        }
    }

    @Override
    public void epochFinished(int epoch, int totalEpochs, String phase, double meanLoss, Evaluation dev) {
        if (profiler != null) { // an epoch ended first: its evaluation is not part of a training step
            finish();
        }
    }

    @Override
    public void stopped(int epoch, long steps) {
        if (profiler != null) {
            finish();
        }
    }

    private void finish() {
        report = profiler.stop();
        profiler = null;
        try {
            report.write(folder, recorded, title);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Steps recorded so far. */
    public int recorded() {
        return recorded;
    }

    /** The report, once the steps are recorded (null before). */
    public ProfileReport report() {
        return report;
    }
}
