package ttq.model.train;

/**
 * Where a training step stands: the epoch (1-based, counted over all phases of the run), the step
 * within it (0-based) of {@code steps}, the phase's name, and the steps taken in the whole run
 * before this one. Seeds derived from it (dropout masks, augmentation) make a resumed run repeat
 * exactly what the uninterrupted one would do.
 */
public record StepInfo(int epoch, int step, int steps, String phase, long stepsBefore) {
}
