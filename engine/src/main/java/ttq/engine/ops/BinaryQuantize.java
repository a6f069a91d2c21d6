package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Tensor;

/**
 * Binary weights (BWN, as in XTC): sign(w) * mean|w|, with sign(0) = +1 so there are exactly two
 * levels. Straight-through gradient: the identity.
 */
public final class BinaryQuantize extends Function {
    /** Binary weights of w. */
    public static Tensor apply(Tensor w) {
        float[] x = w.data();
        double meanAbs = 0;
        for (float v : x) {
            meanAbs += Math.abs(v);
        }
        float alpha = x.length == 0 ? 0f : (float) (meanAbs / x.length);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] < 0f ? -alpha : alpha;
        }
        Tensor result = Tensor.wrap(out, w.shape());
        return recording(w) ? new BinaryQuantize().attach(result, w) : result;
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[] {g};
    }
}
