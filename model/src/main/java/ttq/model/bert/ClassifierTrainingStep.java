package ttq.model.bert;

import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.model.train.StepInfo;
import ttq.model.train.TrainingStep;

/** The {@link TrainingStep} of fine-tuning a {@link SequenceClassifier}: cross-entropy on the labels, dropout reseeded per step. */
public final class ClassifierTrainingStep implements TrainingStep<GlueBatches.Batch> {
    private final SequenceClassifier model;
    private final long seed;

    /** A step for the model and the run's seed. */
    public ClassifierTrainingStep(SequenceClassifier model, long seed) {
        this.model = model;
        this.seed = seed;
    }

    @Override
    public GlueBatches.Batch prepare(GlueBatches.Batch b, StepInfo step) {
        model.reseedDropout(seed, step.epoch(), step.step());
        return b;
    }

    @Override
    public Tensor loss(GlueBatches.Batch b, StepInfo step) {
        return Ops.crossEntropy(model.forward(b.input()), b.labels(), -100);
    }

    /** The examples of a batch. */
    public static int examples(GlueBatches.Batch b) {
        return b.input().batch();
    }

    /** The tokens of a batch, padding included (what the encoder computes on). */
    public static long tokens(GlueBatches.Batch b) {
        return (long) b.input().batch() * b.input().length();
    }
}
