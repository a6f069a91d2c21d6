package ttq.model.train;

import java.util.List;

/**
 * The batches of one epoch in a fixed order: {@link Trainer} asks for each epoch with the seed
 * {@code seed * 1_000_003 + epoch}, so a run and its resumed continuation see the same batches.
 */
@FunctionalInterface
public interface BatchSource<B> {
    /** The epoch's batches, shuffled deterministically by {@code shuffleSeed}. */
    List<B> epoch(long shuffleSeed);
}
