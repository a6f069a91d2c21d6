package ttq.model.infer;

import java.util.List;
import java.util.Locale;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.kernels.InferenceKernels;
import ttq.model.Layer;
import ttq.model.transformer.MultiHeadAttention;

/**
 * The self-attention sublayer of the runtime: Q, K, V projections, attention per utterance over its
 * own tokens (no padding, so no mask), and the output projection. With quantized attention (Q, K, V
 * and the probabilities P through trained INT8 quantizers, as the training network has them), Q,
 * K and V become INT8 codes at their scales and Q K^T and P V are INT8 products with int32 sums;
 * otherwise all of it is FP32.
 */
final class RuntimeAttention {
    final RuntimeLinear query, key, value, output;
    final int heads, headDim;
    /** Trained scales of Q, K, V and P; all 0 for FP32 attention. */
    final float qScale, kScale, vScale, pScale;

    RuntimeAttention(MultiHeadAttention a, java.util.function.Function<Layer, RuntimeLinear> compile, String where) {
        List<Layer> p = a.projections();
        this.query = compile.apply(p.get(0));
        this.key = compile.apply(p.get(1));
        this.value = compile.apply(p.get(2));
        this.output = compile.apply(p.get(3));
        this.heads = a.heads();
        this.headDim = query.outFeatures() / heads;
        float[] s = new float[4];
        List<LearnedScaleQuantizer> q = a.quantizers();
        if (q != null) {
            for (int j = 0; j < 4; j++) {
                if (!q.get(j).isInitialized() || q.get(j).bits() != 8) {
                    throw new IllegalArgumentException(where + ": quantizer " + List.of("Q", "K", "V", "P").get(j)
                            + " has no trained 8-bit scale");
                }
                s[j] = q.get(j).scale().item();
            }
        }
        this.qScale = s[0];
        this.kScale = s[1];
        this.vScale = s[2];
        this.pScale = s[3];
    }

    boolean integer() {
        return pScale > 0f;
    }

    /**
     * out = attention of x's rows [0, rows), made of utterances whose first rows are {@code starts[u]
     * - base} for u in [u0, u1) with {@code lengths[u]} rows each; out must not be x.
     */
    void forward(float[] x, int rows, int[] starts, int[] lengths, int u0, int u1, int base, float[] out, Workspace w) {
        int d = heads * headDim;
        Scratch s = w.scratch;
        query.forward(x, 0, rows, w.q, 0, s);
        key.forward(x, 0, rows, w.k, 0, s);
        value.forward(x, 0, rows, w.v, 0, s);
        if (integer()) {
            InferenceKernels.quantizeToInt8(w.q, 0, w.qCodes, 0, rows * d, qScale);
            InferenceKernels.quantizeToInt8(w.k, 0, w.kCodes, 0, rows * d, kScale);
            InferenceKernels.quantizeToInt8(w.v, 0, w.vCodes, 0, rows * d, vScale);
            float scoreScale = qScale * kScale * (float) (1.0 / Math.sqrt(headDim));
            for (int u = u0; u < u1; u++) {
                int off = (starts[u] - base) * d;
                InferenceKernels.attentionInt8(lengths[u], heads, headDim, w.qCodes, off, w.kCodes, off, w.vCodes, off, d, scoreScale, pScale,
                        pScale * vScale, w.context, off, d);
            }
        } else {
            float scale = (float) (1.0 / Math.sqrt(headDim));
            for (int u = u0; u < u1; u++) {
                int off = (starts[u] - base) * d;
                InferenceKernels.attentionFloat(lengths[u], heads, headDim, w.q, off, w.k, off, w.v, off, d, scale, w.context, off, d);
            }
        }
        output.forward(w.context, 0, rows, out, 0, s);
    }

    String describe() {
        return String.format(Locale.ROOT, "%d heads of %d, %s", heads, headDim, integer()
                ? String.format(Locale.ROOT, "Q K^T and P V as INT8 products (scales Q %.4g, K %.4g, V %.4g, P %.4g)", qScale, kScale, vScale,
                pScale) : "FP32");
    }
}
