package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.backend.CpuKernels;

/**
 * Mean cross-entropy of logits [n, classes] against integer targets, skipping rows whose target
 * equals ignoreIndex (the mean is over the rest; 0 when every row is ignored). Fused softmax +
 * NLL: the loss of a row is its log-partition minus its target logit; saves the probabilities, so
 * the backward, (softmax - onehot) / count on kept rows, takes no exponential.
 */
public final class CrossEntropy extends Function {
    private int[] targets;
    private int ignoreIndex, count;

    /** Mean cross-entropy of logits [n, classes] against targets, ignoring rows whose target is ignoreIndex. */
    public static Tensor apply(Tensor logits, int[] targets, int ignoreIndex) {
        if (logits.rank() != 2) {
            throw new IllegalArgumentException("crossEntropy: logits must be [n, classes], got " + Shape.str(logits.shape()));
        }
        int n = logits.dim(0), c = logits.dim(1);
        if (targets.length != n) {
            throw new IllegalArgumentException("crossEntropy: " + targets.length + " targets for " + n + " rows");
        }
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (targets[i] == ignoreIndex) {
                continue;
            }
            if (targets[i] < 0 || targets[i] >= c) {
                throw new IndexOutOfBoundsException("crossEntropy: target " + targets[i] + " at row " + i
                        + " out of range [0, " + c + ")");
            }
            count++;
        }
        float[] lse = new float[n];
        Tensor p = CpuKernels.softmaxLastAxis(logits, false, lse);
        float[] x = logits.data();
        double loss = 0;
        for (int i = 0; i < n; i++) {
            if (targets[i] != ignoreIndex) {
                loss += (double) lse[i] - x[i * c + targets[i]];
            }
        }
        Tensor out = Tensor.scalar(count == 0 ? 0f : (float) (loss / count));
        if (!recording(logits)) {
            return out;
        }
        CrossEntropy f = new CrossEntropy();
        f.targets = targets.clone();
        f.ignoreIndex = ignoreIndex;
        f.count = count;
        f.save(p);
        return f.attach(out, logits);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor p = saved(0);
        int c = p.dim(1);
        float[] pv = p.data();
        float[] d = new float[pv.length];
        float scale = count == 0 ? 0f : g.item() / count;
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] == ignoreIndex) {
                continue;
            }
            for (int j = 0; j < c; j++) {
                d[i * c + j] = pv[i * c + j] * scale;
            }
            d[i * c + targets[i]] -= scale;
        }
        return new Tensor[] {Tensor.wrap(d, p.shape())};
    }
}
