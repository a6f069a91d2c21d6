package ttq.model.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import ttq.engine.Tensor;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.Layer;
import ttq.model.Linear;
import ttq.model.nn.LayerNorm;
import ttq.model.onnx.proto.Onnx.TensorProto;
import ttq.model.quant.CompactExport;
import ttq.model.tt.ContractionPlan;
import ttq.model.tt.TensorNetwork;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;

/**
 * Emits the building blocks of ttq's models as ONNX nodes: dense and TT linears, the TTM embedding,
 * layer norm, GELU, attention, and the QDQ pairs of quantized tensors.
 *
 * <p>TT and TTM layers keep their factorization: the cores are initializers and the contraction is
 * one MatMul (with the Transposes and Reshapes it needs) per pairwise step of the {@link ContractionPlan} the planner picks for
 * {@code rows} rows (the export's typical batch); the TTM embedding gathers each core's slices by
 * the digits of the token id. Quantized cores are stored as integer codes (int8, or int4 when asked)
 * followed by DequantizeLinear with the layer's learned scale; quantized activations pass
 * QuantizeLinear/DequantizeLinear with their trained scales. ONNX's QuantizeLinear rounds half to
 * even and saturates to the integer type, as ttq's quantizer does; below 8 bits a Clip to the
 * b-bit range comes first.
 */
final class OnnxLayers {
    private final OnnxGraph g;
    private final int rows;
    private final boolean int4;

    /** Layers planned for {@code rows} rows; 4-bit codes as int4 initializers when {@code int4}, else int8. */
    OnnxLayers(OnnxGraph g, int rows, boolean int4) {
        this.g = g;
        this.rows = rows;
        this.int4 = int4;
    }

    /** The graph the layers are emitted into. */
    OnnxGraph graph() {
        return g;
    }

    /** A dense or TT linear on the last axis of x. */
    String layer(String x, Layer layer, String name) {
        if (layer instanceof Linear l) {
            return linear(x, l, name);
        }
        if (layer instanceof TtLinear t) {
            return ttLinear(x, t, name);
        }
        throw new IllegalArgumentException(name + ": a " + layer.getClass().getSimpleName() + " layer has no ONNX export "
                + "(dense and TT linears do)");
    }

    /** x W + b with W [in, out]. */
    String linear(String x, Linear l, String name) {
        String w = g.floats(name + ".weight", l.weight().data(), l.inFeatures(), l.outFeatures());
        String y = g.node("MatMul", name + "/matmul", new String[] {x, w});
        if (l.bias() == null) {
            return y;
        }
        return g.node("Add", name + "/out", new String[] {y, g.floats(name + ".bias", l.bias().data(), l.outFeatures())});
    }

    /**
     * A TT linear: x [..., N] reshaped to [lead axes, n_1..n_d], then one Einsum per step of the
     * planned order over the cores (codes + DequantizeLinear when quantized), reshaped to [..., M], + bias.
     */
    String ttLinear(String x, TtLinear t, String name) {
        if (t.inputQuantizer() != null) {
            x = qdq(x, t.inputQuantizer(), name + "/input");
        }
        int[] out = t.outModes(), in = t.inModes(), r = t.ranks();
        int d = out.length;
        List<Tensor> cores = t.cores();
        String[] operands = new String[2 * d + 1];
        long[] xShape = new long[d + 1];
        xShape[0] = -1; // all rows in one axis: the plan's "b"
        for (int k = 0; k < d; k++) {
            xShape[k + 1] = in[k];
        }
        String lead = g.node("Slice", name + "/lead", new String[] {g.node("Shape", name + "/x_shape", new String[] {x}), g.longs("zero1", 0),
                g.longs("minus1", -1)});
        operands[0] = g.node("Reshape", name + "/x", new String[] {x, g.longs("shape", xShape)});
        LearnedScaleQuantizer wq = t.weightQuantizer();
        String scale = wq == null ? null : g.scalar(name + ".scale", scaleOf(wq));
        for (int k = 0; k < 2 * d; k++) {
            List<Long> dims = new ArrayList<>();
            if (k > 0) {
                dims.add((long) r[k]);
            }
            dims.add((long) (k < d ? out[k] : in[k - d]));
            if (k < 2 * d - 1) {
                dims.add((long) r[k + 1]);
            }
            operands[k + 1] = core(name + ".core" + k, cores.get(k).data(), dims.stream().mapToLong(Long::longValue).toArray(), wq, scale);
        }
        ContractionPlan plan = t.plan(rows);
        String y = contract(plan, operands, name);
        String yShape = g.node("Concat", name + "/y_shape", new String[] {lead, g.longs("width", t.outFeatures())}, OnnxGraph.attr("axis", 0L));
        y = g.node("Reshape", name + "/y", new String[] {y, yShape});
        if (t.bias() == null) {
            return y;
        }
        return g.node("Add", name + "/out", new String[] {y, g.floats(name + ".bias", t.bias().data(), t.outFeatures())});
    }

    /**
     * A TTM embedding of ids [B, L] (int64) to [B, L, hidden]: the row index split into its digits
     * (Div, Mod), each core's slices gathered by its digit (cores stored row-mode first), the slices
     * contracted in the planned order. The table itself is never formed.
     */
    String ttmLookup(String ids, TtmEmbedding e, String name) {
        List<Tensor> cores = e.cores();
        int d = cores.size();
        int[] p = e.ranks();
        LearnedScaleQuantizer wq = e.weightQuantizer();
        String scale = wq == null ? null : g.scalar(name + ".scale", scaleOf(wq));
        String[] slices = new String[d];
        String rem = g.node("Reshape", name + "/ids", new String[] {ids, g.longs("minus1", -1)});
        for (int k = d - 1; k >= 0; k--) {
            Tensor c = cores.get(k); // [p_k, m_k, n_k, p_{k+1}]
            int m = c.dim(1), n = c.dim(2);
            String digit = rem;
            if (k > 0) {
                String mk = g.longScalar("mode", m);
                digit = g.node("Mod", name + "/digit" + k, new String[] {rem, mk});
                rem = g.node("Div", name + "/rest" + k, new String[] {rem, mk});
            }
            // stored [m_k, (p_k,) n_k, (p_{k+1})]: Gather on axis 0 gives [B, L, ...] slices
            float[] byRow = c.permute(1, 0, 2, 3).data();
            List<Long> dims = new ArrayList<>();
            dims.add((long) m);
            if (k > 0) {
                dims.add((long) p[k]);
            }
            dims.add((long) n);
            if (k < d - 1) {
                dims.add((long) p[k + 1]);
            }
            String core = core(name + ".core" + k, byRow, dims.stream().mapToLong(Long::longValue).toArray(), wq, scale);
            slices[k] = g.node("Gather", name + "/slice" + k, new String[] {core, digit}, OnnxGraph.attr("axis", 0L));
        }
        String y = contract(e.plan(rows), slices, name);
        String shape = g.node("Concat", name + "/shape", new String[] {g.node("Shape", name + "/ids_shape", new String[] {ids}),
                g.longs("width", e.hidden())}, OnnxGraph.attr("axis", 0L));
        return g.node("Reshape", name + "/rows", new String[] {y, shape});
    }

    /** A core initializer: floats, or codes + DequantizeLinear(scale) when the layer's weights are quantized. */
    private String core(String name, float[] values, long[] dims, LearnedScaleQuantizer wq, String scale) {
        if (wq == null) {
            return g.floats(name, values, dims);
        }
        int bits = wq.bits();
        int[] codes = CompactExport.integers(Tensor.wrap(values, values.length), scaleOf(wq), bits);
        boolean packed = bits <= 4 && int4;
        String stored = packed ? g.int4(name + ".codes", codes, dims) : g.int8(name + ".codes", codes, dims);
        String zp = g.zeroPoint(packed ? TensorProto.DataType.INT4 : TensorProto.DataType.INT8);
        return g.node("DequantizeLinear", name, new String[] {stored, scale, zp});
    }

    /**
     * Replays a plan's pairwise steps as ONNX MatMuls, the way {@link ContractionPlan} executes them:
     * per step, labels on both operands that are still needed form the batch axes, the other shared
     * labels are summed; each operand is transposed (only when its axes are not already in order) and
     * reshaped to [batch, free, summed], and one MatMul contracts them. The network's label "b" is the
     * one axis of unknown size (the rows); it is -1 in every reshape. The result comes back in the
     * network's output order.
     */
    private String contract(ContractionPlan plan, String[] inputs, String name) {
        TensorNetwork net = plan.network();
        List<List<String>> labels = new ArrayList<>();
        List<String> values = new ArrayList<>(Arrays.asList(inputs));
        for (int i = 0; i < net.tensorCount(); i++) {
            labels.add(Arrays.asList(net.labels(i)));
        }
        List<ContractionPlan.Step> steps = plan.steps();
        for (int s = 0; s < steps.size(); s++) {
            ContractionPlan.Step step = steps.get(s);
            List<String> la = labels.get(step.left()), lb = labels.get(step.right());
            List<String> keep = Arrays.asList(step.labels());
            List<String> batch = new ArrayList<>(), sum = new ArrayList<>(), freeA = new ArrayList<>(), freeB = new ArrayList<>();
            for (String l : la) {
                (lb.contains(l) ? (keep.contains(l) ? batch : sum) : freeA).add(l);
            }
            for (String l : lb) {
                if (!la.contains(l)) {
                    freeB.add(l);
                }
            }
            String p = name + "/step" + s;
            String a = arrange(values.get(step.left()), la, concat(batch, freeA, sum), p + "/a");
            String b = arrange(values.get(step.right()), lb, concat(batch, sum, freeB), p + "/b");
            long nb = volume(net, batch), m = volume(net, freeA), k = volume(net, sum), n = volume(net, freeB);
            a = g.node("Reshape", p + "/a3", new String[] {a, g.longs("shape", batch.isEmpty() ? new long[] {m, k} : new long[] {nb, m, k})});
            b = g.node("Reshape", p + "/b3", new String[] {b, g.longs("shape", batch.isEmpty() ? new long[] {k, n} : new long[] {nb, k, n})});
            String z = g.node("MatMul", p, new String[] {a, b});
            List<String> zl = concat(batch, freeA, freeB);
            long[] shape = new long[zl.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = zl.get(i).equals("b") ? -1 : net.size(zl.get(i));
            }
            values.add(g.node("Reshape", p + "/z", new String[] {z, g.longs("shape", shape)}));
            labels.add(zl);
        }
        return arrange(values.get(values.size() - 1), labels.get(labels.size() - 1), Arrays.asList(net.output()), name + "/result");
    }

    /** value (axes {@code from}) transposed to the axes {@code to}, or as it is when they are in order already. */
    private String arrange(String value, List<String> from, List<String> to, String name) {
        if (from.equals(to)) {
            return value;
        }
        long[] perm = new long[to.size()];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = from.indexOf(to.get(i));
        }
        return g.node("Transpose", name, new String[] {value}, OnnxGraph.ints("perm", perm));
    }

    /** Product of the label sizes; -1 when the rows label "b" is among them (its size is the one unknown). */
    private static long volume(TensorNetwork net, List<String> labels) {
        long v = 1;
        for (String l : labels) {
            if (l.equals("b")) {
                return -1;
            }
            v *= net.size(l);
        }
        return v;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> out = new ArrayList<>();
        for (List<String> part : parts) {
            out.addAll(part);
        }
        return out;
    }

    /** The scale a quantizer applies (its forward raises one below the minimum to it). */
    static float scaleOf(LearnedScaleQuantizer q) {
        float s = q.scale().data()[0];
        return s >= LearnedScaleQuantizer.MIN_SCALE ? s : LearnedScaleQuantizer.MIN_SCALE;
    }

    /** Fake quantization as QuantizeLinear + DequantizeLinear with the quantizer's trained scale (Clip first below 8 bits). */
    String qdq(String x, LearnedScaleQuantizer q, String name) {
        float s = scaleOf(q);
        String scale = g.scalar(name + ".scale", s);
        if (q.bits() < 8) {
            int lo = -(1 << (q.bits() - 1)), hi = (1 << (q.bits() - 1)) - 1;
            x = g.node("Clip", name + "/clip", new String[] {x, g.scalar(name + ".min", lo * s), g.scalar(name + ".max", hi * s)});
        }
        String zp = g.zeroPoint(TensorProto.DataType.INT8);
        String codes = g.node("QuantizeLinear", name + "/codes", new String[] {x, scale, zp});
        return g.node("DequantizeLinear", name + "/dq", new String[] {codes, scale, zp});
    }

    /** LayerNormalization over the last axis. */
    String layerNorm(String x, LayerNorm ln, String name) {
        int n = ln.weight().numel();
        return g.node("LayerNormalization", name, new String[] {x, g.floats(name + ".weight", ln.weight().data(), n),
                g.floats(name + ".bias", ln.bias().data(), n)}, OnnxGraph.attr("axis", -1L), OnnxGraph.attr("epsilon", ln.eps()));
    }

    /** GELU, erf form: x (1 + erf(x / sqrt 2)) / 2. */
    String gelu(String x, String name) {
        String e = g.node("Erf", name + "/erf", new String[] {g.node("Div", name + "/scaled", new String[] {x, g.floatConstant("sqrt2", (float) Math.sqrt(2))})});
        String one = g.node("Add", name + "/one", new String[] {e, g.floatConstant("one", 1f)});
        return g.node("Mul", name, new String[] {g.node("Mul", name + "/x", new String[] {x, one}), g.floatConstant("half", 0.5f)});
    }

    /**
     * Multi-head attention on projected q, k, v [B, L, H dh]: softmax(q k^T scale) with padded keys
     * set to -1e9 ({@code padKeys} [B, 1, 1, L] bool), times v, back to [B, L, H dh]. With
     * quantizers (Q, K, V, P; null: none) the four pass QDQ, as in training.
     */
    String attention(String q, String k, String v, String padKeys, int heads, int headDim, List<LearnedScaleQuantizer> quant, String name) {
        if (quant != null) {
            q = qdq(q, quant.get(0), name + "/q");
            k = qdq(k, quant.get(1), name + "/k");
            v = qdq(v, quant.get(2), name + "/v");
        }
        String split = g.longs("shape", 0, 0, heads, headDim);
        String qh = g.node("Transpose", name + "/qh", new String[] {g.node("Reshape", name + "/q4", new String[] {q, split})},
                OnnxGraph.ints("perm", 0, 2, 1, 3));
        String kt = g.node("Transpose", name + "/kt", new String[] {g.node("Reshape", name + "/k4", new String[] {k, split})},
                OnnxGraph.ints("perm", 0, 2, 3, 1));
        String vh = g.node("Transpose", name + "/vh", new String[] {g.node("Reshape", name + "/v4", new String[] {v, split})},
                OnnxGraph.ints("perm", 0, 2, 1, 3));
        String scores = g.node("Mul", name + "/scores", new String[] {g.node("MatMul", name + "/qk", new String[] {qh, kt}),
                g.floatConstant("attention_scale", (float) (1.0 / Math.sqrt(headDim)))});
        String masked = g.node("Where", name + "/masked", new String[] {padKeys, g.floatConstant("masked_score", -1e9f), scores});
        String p = g.node("Softmax", name + "/probs", new String[] {masked}, OnnxGraph.attr("axis", -1L));
        if (quant != null) {
            p = qdq(p, quant.get(3), name + "/p");
        }
        String ctx = g.node("Transpose", name + "/ctx", new String[] {g.node("MatMul", name + "/pv", new String[] {p, vh})},
                OnnxGraph.ints("perm", 0, 2, 1, 3));
        return g.node("Reshape", name + "/context", new String[] {ctx, g.longs("shape", 0, 0, (long) heads * headDim)});
    }

    /**
     * One post-LN encoder block, as {@code EncoderBlock} and {@code BertLayer} compute it:
     * a = LN(x + O attention(Q x, K x, V x)), then LN(a + down(GELU(up(a)))). {@code qkvo} are the
     * query, key, value and output projections; {@code quant} the attention's Q/K/V/P quantizers or null.
     */
    String encoderBlock(String x, String padKeys, List<Layer> qkvo, LayerNorm attentionNorm, Layer up, Layer down, LayerNorm outputNorm,
                        int heads, int headDim, List<LearnedScaleQuantizer> quant, String p) {
        String q = layer(x, qkvo.get(0), p + ".query");
        String k = layer(x, qkvo.get(1), p + ".key");
        String v = layer(x, qkvo.get(2), p + ".value");
        String ctx = attention(q, k, v, padKeys, heads, headDim, quant, p + ".attention");
        String a = layer(ctx, qkvo.get(3), p + ".attentionOut");
        x = layerNorm(g.node("Add", p + "/residual1", new String[] {x, a}), attentionNorm, p + ".attentionNorm");
        String y = layer(gelu(layer(x, up, p + ".up"), p + "/gelu"), down, p + ".down");
        return layerNorm(g.node("Add", p + "/residual2", new String[] {x, y}), outputNorm, p + ".outputNorm");
    }

    /** [B, 1, 1, L] bool, true at padded keys, from attention_mask [B, L] (int64, 0 = padding). */
    String padKeys(String attentionMask) {
        String isPad = g.node("Equal", "is_padding", new String[] {attentionMask, g.longScalar("zero", 0)});
        return g.node("Unsqueeze", "padded_keys", new String[] {isPad, g.longs("axes", 1, 2)});
    }

    /** The first {@code L} rows of a table [maxLength, hidden], L from ids [B, L]: [L, hidden]. */
    String firstRows(String table, String ids, String name) {
        String length = g.node("Slice", name + "/length", new String[] {g.node("Shape", name + "/ids_shape", new String[] {ids}),
                g.longs("one", 1), g.longs("two", 2)});
        return g.node("Slice", name + "/rows", new String[] {table, g.longs("zero1", 0), length, g.longs("zero1", 0)});
    }
}
