package ttq.model.transformer;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The random numbers behind every dropout mask of a model, reseeded by the trainer before each
 * step from (seed, epoch, step): a run resumed at an epoch boundary draws exactly the masks an
 * uninterrupted run would have drawn. SplittableRandom: several times faster per draw than
 * java.util.Random, which dropout masks over every activation would feel.
 */
public final class DropoutSource {
    private SplittableRandom random = new SplittableRandom(0);

    /** Reseeds for one training step. */
    public void reseed(long seed, int epoch, int step) {
        random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + step);
    }

    /** The generator dropout masks draw from in this step. */
    public RandomGenerator random() {
        return random;
    }
}
