package ttq.model.bert;

import ttq.engine.GradMode;
import ttq.engine.Tensor;
import ttq.model.train.StepInfo;
import ttq.model.train.TrainingStep;

/**
 * The {@link TrainingStep} of one distillation stage: the teacher's forward pass runs in
 * {@link #prepare}, without gradients and before the step's scope opens (its intermediates are
 * garbage as soon as it returns; only the outputs matched stay reachable, where inside the scope
 * they would be held to the step's end), then the student's first {@code blocks} blocks and the
 * layer loss (plus the soft labels at temperature T for L_all).
 */
public final class DistillationStep implements TrainingStep<DistillationStep.Batch> {
    private final SequenceClassifier teacher, student;
    private final DistillationSchedule.Stage stage;
    private final int teacherLayers, studentLayers;
    private final float temperature;
    private final long seed;

    /** A training batch and, once prepared, the teacher's outputs on it. */
    public record Batch(GlueBatches.Batch input, SequenceClassifier.Outputs teacher) {
        /** A batch not yet prepared. */
        public Batch(GlueBatches.Batch input) {
            this(input, null);
        }
    }

    /** The step of one stage, with the soft labels' temperature and the run's seed (dropout masks). */
    public DistillationStep(SequenceClassifier teacher, SequenceClassifier student, DistillationSchedule.Stage stage, float temperature,
                            long seed) {
        this.teacher = teacher;
        this.student = student;
        this.stage = stage;
        this.teacherLayers = teacher.encoder().config().layers();
        this.studentLayers = student.encoder().config().layers();
        this.temperature = temperature;
        this.seed = seed;
    }

    @Override
    public Batch prepare(Batch b, StepInfo step) {
        student.reseedDropout(seed, step.epoch(), step.step());
        try (GradMode.Scope noGrad = GradMode.noGrad()) {
            return new Batch(b.input(), teacher.forwardLayers(b.input().input(), teacherLayers));
        }
    }

    @Override
    public Tensor loss(Batch b, StepInfo step) {
        int blocks = stage.blocks() < 0 ? studentLayers : stage.blocks();
        SequenceClassifier.Outputs so = student.forwardLayers(b.input().input(), blocks);
        Tensor loss = DistillationLoss.layers(b.teacher().encoder(), so.encoder(), blocks, teacherLayers, studentLayers);
        return stage.softLabels() ? loss.add(DistillationLoss.softLabels(b.teacher().logits(), so.logits(), temperature)) : loss;
    }
}
