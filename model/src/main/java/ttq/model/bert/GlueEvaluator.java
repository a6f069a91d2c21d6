package ttq.model.bert;

import ttq.engine.GradMode;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.model.metrics.BinaryMetrics;

/** Scores a classifier on a tokenized split in evaluation mode (no dropout, no graph). */
public final class GlueEvaluator {
    private GlueEvaluator() {
    }

    /** Predicted labels, the class probabilities [n, classes] (row-major) and the metrics. */
    public record Result(int[] predicted, float[] probabilities, BinaryMetrics metrics) {
    }

    /**
     * Writes a result's predictions as TSV (header {@code index, gold, predicted, probability}: the
     * example's position in the split, its label, the predicted class and that class's probability),
     * atomically, so that a reported accuracy can be re-scored from the file.
     */
    public static void writePredictions(java.nio.file.Path file, Result r, GlueBatches data) throws java.io.IOException {
        StringBuilder b = new StringBuilder("index\tgold\tpredicted\tprobability\n");
        int c = r.probabilities().length / Math.max(1, r.predicted().length);
        for (int i = 0; i < r.predicted().length; i++) {
            b.append(i).append('\t').append(data.label(i)).append('\t').append(r.predicted()[i]).append('\t')
                    .append(String.format(java.util.Locale.ROOT, "%.6f", r.probabilities()[i * c + r.predicted()[i]])).append('\n');
        }
        ttq.engine.io.AtomicFileWrite.writeString(file, b.toString());
    }

    /** The metrics.csv header of {@link #evaluation}'s columns. */
    public static final String METRICS_HEADER = "epoch,train_loss,dev_acc,dev_f1\n";

    /**
     * The dev result as a {@link ttq.model.train.Trainer} evaluation: accuracy and F1 as columns;
     * MRPC picks the best epoch by their mean, the other tasks by accuracy.
     */
    public static ttq.model.train.Evaluation.Evaluator evaluation(SequenceClassifier model, GlueBatches dev, ttq.model.data.GlueTask task) {
        return () -> {
            BinaryMetrics m = evaluate(model, dev, 64).metrics();
            double score = task == ttq.model.data.GlueTask.MRPC ? (m.accuracy() + m.f1()) / 2 : m.accuracy();
            return new ttq.model.train.Evaluation(score, String.format(java.util.Locale.ROOT, "%.4f,%.4f", m.accuracy(), m.f1()),
                    String.format(java.util.Locale.ROOT, "acc %.2f, F1 %.2f", m.accuracy(), m.f1()));
        };
    }

    /** Accuracy (and F1 for pair tasks) of model on data, in batches of batch examples. */
    public static Result evaluate(SequenceClassifier model, GlueBatches data, int batch) {
        boolean wasTraining = model.isTraining();
        model.eval();
        int n = data.size();
        int[] predicted = new int[n], gold = new int[n];
        float[] probs = null;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (GlueBatches.Batch b : data.inOrder(batch)) {
                try (StepScope scope = StepScope.open()) {
                    Tensor p = model.forward(b.input()).softmax(-1);
                    int c = p.dim(1);
                    if (probs == null) {
                        probs = new float[n * c];
                    }
                    float[] v = p.toArray();
                    for (int r = 0; r < b.size(); r++) {
                        int i = b.indices()[r], best = 0;
                        for (int k = 1; k < c; k++) {
                            best = v[r * c + k] > v[r * c + best] ? k : best;
                        }
                        predicted[i] = best;
                        gold[i] = b.labels()[r];
                        System.arraycopy(v, r * c, probs, i * c, c);
                    }
                }
            }
        } finally {
            model.train(wasTraining);
        }
        return new Result(predicted, probs, BinaryMetrics.of(gold, predicted));
    }
}
