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
 * unchanged. The last {@link #HOOK_WARMUP_STEPS} warm-up steps already run under a profiler whose
 * report is dropped: switching the hooks on sends the compiled code that holds them back to the
 * interpreter once (measured: the first 10 profiled steps of the ATIS TT step took 53 ms against
 * 25 ms unprofiled), and the recorded steps should not pay for that.
 */
public final class StepProfiler implements TrainingListener {
    /** Steps profiled and discarded before the recorded ones (fewer when the warm-up is shorter). */
    public static final int HOOK_WARMUP_STEPS = 10;

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
    private boolean recording;

    @Override
    public void stepStarted(StepInfo step) {
        int at = seen++;
        if (report != null) {
            return;
        }
        if (at >= warmup - Math.min(HOOK_WARMUP_STEPS, warmup) && at < warmup && profiler == null) {
            profiler = Profiler.start(model); // the hooks' warm-up: dropped
        }
        if (at == warmup) {
            if (profiler != null) {
                profiler.stop();
            }
            profiler = Profiler.start(model);
            recording = true;
        }
    }

    @Override
    public void stepFinished(StepInfo step, float loss, double meanLoss, int examples, long tokens) {
        if (recording && ++recorded == steps) {
            finish();
        }
    }

    @Override
    public void epochFinished(int epoch, int totalEpochs, String phase, double meanLoss, Evaluation dev) {
        endOfSteps(); // an epoch ended: its evaluation is not part of a training step
    }

    @Override
    public void stopped(int epoch, long steps) {
        endOfSteps();
    }

    private void endOfSteps() {
        if (recording) {
            finish();
        } else if (profiler != null) { // still warming the hooks up: drop it, start again at the next step
            profiler.stop();
            profiler = null;
        }
    }

    private void finish() {
        report = profiler.stop();
        profiler = null;
        recording = false;
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
