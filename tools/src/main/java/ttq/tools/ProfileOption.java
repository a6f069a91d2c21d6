package ttq.tools;

import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;
import ttq.engine.nn.Module;
import ttq.model.train.StepProfiler;
import ttq.model.train.Trainer;

/**
 * How a training command watches its run: {@code --profile N} (N steps profiled into the run folder,
 * {@link StepProfiler}) and {@code --detect-anomaly} (every op's output and gradient checked for NaN
 * and infinity, {@link ttq.engine.check.AnomalyDetection}).
 */
final class ProfileOption {
    @Option(names = "--profile", paramLabel = "N", description = "Profile N training steps (after --profile-warmup steps) into the run folder: "
            + "profile.md and profile.csv (time and memory per op and module) and trace.json (open in Perfetto or chrome://tracing).")
    Integer steps;

    @Option(names = "--profile-warmup", paramLabel = "N", defaultValue = "30", description = "Steps before the profile starts, for the JIT "
            + "compiler to settle (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--detect-anomaly", description = "Check every op's forward output and backward gradient for NaN/Inf and stop at the first "
            + "one, naming the op, module, step and pass (the last checkpoint is kept). Off by default: training runs slower with it.")
    boolean detectAnomaly;

    private StepProfiler profiler;

    /** Refuses bad values before the command touches its run folder. */
    void check() {
        UsageException.require(steps == null || steps >= 1, "--profile must be >= 1");
        UsageException.require(warmup >= 0, "--profile-warmup must be >= 0");
    }

    /** Adds the profiler to a run when --profile was given. */
    <B> Trainer.Builder<B> attach(Trainer.Builder<B> run, Module model, Path folder, String title) {
        run.detectAnomaly(detectAnomaly);
        if (steps == null) {
            return run;
        }
        check();
        profiler = new StepProfiler(model, warmup, steps, folder, title);
        return run.listener(profiler);
    }

    /** Says where the profile went, once it is written. */
    void report(Path folder) {
        if (profiler != null && profiler.report() != null) {
            System.out.printf(Locale.ROOT, "profile of %d steps (%.1f ms each): %s, profile.csv, trace.json%n", profiler.recorded(),
                    profiler.report().totalMs() / Math.max(1, profiler.recorded()), folder.resolve("profile.md"));
        } else if (profiler != null) {
            System.out.println("profile: the run ended before step " + (warmup + 1) + " (lower --profile-warmup)");
        }
    }
}
