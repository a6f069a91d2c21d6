package ttq.model.train;

/**
 * A model's dev-split result after an epoch: the {@code score} that picks the best epoch (higher is
 * better), the metric values as CSV columns (appended to the epoch's row of metrics.csv) and a
 * one-line summary for the console.
 */
public record Evaluation(double score, String csv, String summary) {
    /** Runs the evaluation (the trainer calls it after every epoch). */
    @FunctionalInterface
    public interface Evaluator {
        /** The dev result of the model as it is now. */
        Evaluation evaluate() throws java.io.IOException;
    }
}
