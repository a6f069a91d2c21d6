package ttq.model.train;

import java.util.SplittableRandom;
import ttq.engine.Tensor;
import ttq.model.data.JointBatcher;
import ttq.model.transformer.JointIntentSlotModel;

/**
 * The {@link TrainingStep} of the joint intent/slot model: intent plus slot cross-entropy, dropout
 * masks reseeded from (seed, epoch, step), and optionally rare training words replaced by
 * {@code <unk>} ({@link JointBatcher#replaceRareWords}) from a generator seeded the same way, so a
 * resumed run draws what the uninterrupted one would.
 */
public final class JointTrainingStep implements TrainingStep<JointBatcher.Batch> {
    private final JointIntentSlotModel net;
    private final JointBatcher batcher;
    private final long seed;
    private final double unkReplace;

    /** A step for net with the batcher's vocabularies, the run's seed and an unknown-word replacement rate (0: off). */
    public JointTrainingStep(JointIntentSlotModel net, JointBatcher batcher, long seed, double unkReplace) {
        if (!(unkReplace >= 0)) {
            throw new IllegalArgumentException("unknown-word replacement rate must be >= 0, got " + unkReplace);
        }
        this.net = net;
        this.batcher = batcher;
        this.seed = seed;
        this.unkReplace = unkReplace;
    }

    @Override
    public JointBatcher.Batch prepare(JointBatcher.Batch b, StepInfo step) {
        if (unkReplace > 0) {
            b = batcher.replaceRareWords(b, unkReplace, new SplittableRandom(seed * 7_919L + step.epoch() * 1_000_003L + step.step()));
        }
        net.reseedDropout(seed, step.epoch(), step.step());
        return b;
    }

    @Override
    public Tensor loss(JointBatcher.Batch b, StepInfo step) {
        return net.loss(net.forward(b.ids(), b.mask(), b.batch(), b.length()), b.intents(), b.slots());
    }

    /** The tokens of a batch (for the listeners' tokens per second). */
    public static long tokens(JointBatcher.Batch b) {
        long n = 0;
        for (int len : b.lengths()) {
            n += len;
        }
        return n;
    }
}
