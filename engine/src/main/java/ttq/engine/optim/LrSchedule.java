package ttq.engine.optim;

/**
 * A learning-rate schedule: the learning rate for an optimizer step, as a function of the number
 * of steps already taken. Steps count from 0: {@code lr(0)} is the rate of the first update,
 * matching PyTorch's {@code LambdaLR} (whose lambda sees 0 before the first
 * {@code optimizer.step()}). Typical use, before each step:
 * <pre>
 *   schedule.applyTo(optimizer);   // optimizer.setLearningRate(schedule.lr(optimizer.stepCount()))
 *   optimizer.step();
 * </pre>
 */
@FunctionalInterface
public interface LrSchedule {
    /**
     * The learning rate of the update that follows {@code step} completed steps.
     *
     * @throws IllegalArgumentException when step is negative
     */
    float lr(int step);

    /** Sets the optimizer's learning rate to {@code lr(optimizer.stepCount())} and returns it. */
    default float applyTo(Optimizer optimizer) {
        float value = lr(optimizer.stepCount());
        optimizer.setLearningRate(value);
        return value;
    }
}
