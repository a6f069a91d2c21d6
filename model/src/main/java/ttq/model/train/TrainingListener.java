package ttq.model.train;

import java.nio.file.Path;

/**
 * Hooks into a {@link Trainer} run, for progress bars, logs, profilers or anomaly detectors; they
 * see the run without changing it. Every method does nothing by default ({@link #QUIET}).
 */
public interface TrainingListener {
    /** A listener that reports nothing. */
    TrainingListener QUIET = new TrainingListener() {
    };

    /** The run continues from a checkpoint: at this epoch and step. */
    default void resumed(Path checkpoint, int epoch, int step) {
    }

    /** An epoch starts (or continues at {@code firstStep} after a resume); {@code totalEpochs} counts all phases. */
    default void epochStarted(int epoch, int totalEpochs, String phase, int steps, int firstStep) {
    }

    /** Right before a step's forward pass. */
    default void stepStarted(StepInfo step) {
    }

    /**
     * A step finished: its loss, the epoch's mean loss so far, and the examples and tokens of the
     * batch (0 when the run does not count them).
     */
    default void stepFinished(StepInfo step, float loss, double meanLoss, int examples, long tokens) {
    }

    /** An epoch finished: its mean loss and, when the run evaluates, the dev result (else null). */
    default void epochFinished(int epoch, int totalEpochs, String phase, double meanLoss, Evaluation dev) {
    }

    /** A checkpoint was written (atomically). */
    default void checkpointed(Path file, int epoch, int step) {
    }

    /** The run stopped early, as asked (--stop-after-*), after this many epochs and steps; resume continues it. */
    default void stopped(int epoch, long steps) {
    }
}
