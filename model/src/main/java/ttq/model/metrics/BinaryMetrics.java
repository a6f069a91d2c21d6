package ttq.model.metrics;

/** GLUE's binary-task metrics: accuracy, and F1 of the positive class (label 1; MRPC reports both). */
public record BinaryMetrics(int n, int correct, int truePositives, int falsePositives, int falseNegatives) {
    /** Counts (correct, true and false positives, false negatives) of predictions against gold 0/1 labels. */
    public static BinaryMetrics of(int[] gold, int[] predicted) {
        if (gold.length != predicted.length) {
            throw new IllegalArgumentException(gold.length + " gold labels, " + predicted.length + " predictions");
        }
        int c = 0, tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < gold.length; i++) {
            c += gold[i] == predicted[i] ? 1 : 0;
            tp += gold[i] == 1 && predicted[i] == 1 ? 1 : 0;
            fp += gold[i] != 1 && predicted[i] == 1 ? 1 : 0;
            fn += gold[i] == 1 && predicted[i] != 1 ? 1 : 0;
        }
        return new BinaryMetrics(gold.length, c, tp, fp, fn);
    }

    /** Accuracy in percent. */
    public double accuracy() {
        return n == 0 ? 0 : 100.0 * correct / n;
    }

    /** F1 of the positive class in percent (0 when nothing is predicted or present positive). */
    public double f1() {
        int denom = 2 * truePositives + falsePositives + falseNegatives;
        return denom == 0 ? 0 : 100.0 * 2 * truePositives / denom;
    }
}
