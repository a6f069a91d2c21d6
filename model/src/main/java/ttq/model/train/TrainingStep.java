package ttq.model.train;

import ttq.engine.Tensor;

/**
 * What one training step does with its batch, for {@link Trainer}: optional work before the step's
 * memory scope opens, then the loss inside it. The trainer zeroes the gradients, opens a
 * {@link ttq.engine.StepScope}, calls {@link #loss}, checks the value is finite, runs backward,
 * clips, applies the schedule and steps the optimizer.
 */
@FunctionalInterface
public interface TrainingStep<B> {
    /**
     * Runs before the step's scope opens, so what it makes outlives the scope's arrays: a batch
     * augmentation, or a teacher's forward pass without gradients (its intermediates are garbage at
     * once instead of being held to the step's end). Returns the batch {@link #loss} gets; by default
     * the batch itself.
     */
    default B prepare(B batch, StepInfo step) {
        return batch;
    }

    /** The loss of one (prepared) batch; computed inside the step's scope, which releases its tensors afterwards. */
    Tensor loss(B batch, StepInfo step);
}
