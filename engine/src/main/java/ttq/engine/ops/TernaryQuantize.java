package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;

/**
 * Ternary weights (TWN, as in XTC): t = sign(w) where |w| > 0.7 mean|w| and 0 elsewhere, scaled
 * by the mean |w| over the kept entries. Straight-through gradient: the identity.
 */
public final class TernaryQuantize extends Function {
    /** Ternary weights of w. */
    public static Tensor apply(Tensor w) {
        float[] x = w.data();
        double meanAbs = 0;
        for (float v : x) {
            meanAbs += Math.abs(v);
        }
        meanAbs = x.length == 0 ? 0 : meanAbs / x.length;
        double threshold = 0.7 * meanAbs, kept = 0;
        int count = 0;
        for (float v : x) {
            if (Math.abs(v) > threshold) {
                kept += Math.abs(v);
                count++;
            }
        }
        float alpha = count == 0 ? 0f : (float) (kept / count);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.abs(x[i]) > threshold ? Math.copySign(alpha, x[i]) : 0f;
        }
        Tensor result = Tensor.wrap(out, w.shape());
        return recording(w) ? new TernaryQuantize().attach(result, w) : result;
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {g};
    }
}
