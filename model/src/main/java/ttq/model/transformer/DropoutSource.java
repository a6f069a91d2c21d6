package ttq.model.transformer;

import java.util.Random;

/**
 * The random numbers behind every dropout mask of a model, reseeded by the trainer before each
 * step from (seed, epoch, step): a run resumed at an epoch boundary draws exactly the masks an
 * uninterrupted run would have drawn.
 */
public final class DropoutSource {
    private Random random = new Random(0);

    /** Reseeds for one training step. */
    public void reseed(long seed, int epoch, int step) {
        random = new Random(seed * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + step);
    }

    public Random random() {
        return random;
    }
}
