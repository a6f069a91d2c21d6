package ttq.model.onnx;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import ttq.model.onnx.proto.Onnx;
import ttq.model.onnx.proto.Onnx.AttributeProto;
import ttq.model.onnx.proto.Onnx.NodeProto;
import ttq.model.onnx.proto.Onnx.TensorProto;

/**
 * An ONNX graph under construction: unique value names, initializers (FP32, INT8 and packed INT4
 * codes, INT64 shape constants), nodes with attributes, typed inputs and outputs. The exporters
 * ({@link JointModelOnnx}, {@link ClassifierOnnx}) emit through it, {@link OnnxExport} wraps it in a model.
 */
public final class OnnxGraph {
    private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder();
    private final Map<String, Integer> used = new HashMap<>();
    private final Map<String, String> constants = new HashMap<>();

    OnnxGraph(String name) {
        graph.setName(name);
    }

    /** The graph as built so far. */
    Onnx.GraphProto build() {
        return graph.build();
    }

    /** A value name not used before, from base ("x", "x_1", "x_2", ...). */
    String fresh(String base) {
        int n = used.merge(base, 1, Integer::sum);
        return n == 1 ? base : base + "_" + (n - 1);
    }

    /** A node of op type {@code op}; returns its (single) output, named from {@code out}. */
    String node(String op, String out, String[] inputs, AttributeProto... attributes) {
        String name = fresh(out);
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name + "/" + op).addOutput(name);
        for (String in : inputs) {
            n.addInput(in);
        }
        for (AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return name;
    }

    /** A float initializer of the given shape (row-major data). */
    String floats(String name, float[] data, long... dims) {
        checkCount(name, data.length, dims);
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return initializer(name, TensorProto.DataType.FLOAT, ByteString.copyFrom(b.array()), dims);
    }

    /** A scalar float initializer. */
    String scalar(String name, float value) {
        return floats(name, new float[] {value});
    }

    /** An int8 initializer of codes (each in [-128, 127]). */
    String int8(String name, int[] codes, long... dims) {
        checkCount(name, codes.length, dims);
        byte[] b = new byte[codes.length];
        for (int i = 0; i < codes.length; i++) {
            if (codes[i] < -128 || codes[i] > 127) {
                throw new IllegalArgumentException(name + ": code " + codes[i] + " outside int8");
            }
            b[i] = (byte) codes[i];
        }
        return initializer(name, TensorProto.DataType.INT8, ByteString.copyFrom(b), dims);
    }

    /** An int4 initializer: codes in [-8, 7], two per byte, the first in the low nibble (ONNX IR 10). */
    String int4(String name, int[] codes, long... dims) {
        checkCount(name, codes.length, dims);
        byte[] b = new byte[(codes.length + 1) / 2];
        for (int i = 0; i < codes.length; i++) {
            if (codes[i] < -8 || codes[i] > 7) {
                throw new IllegalArgumentException(name + ": code " + codes[i] + " outside int4");
            }
            b[i / 2] |= (byte) ((codes[i] & 0xF) << (4 * (i % 2)));
        }
        return initializer(name, TensorProto.DataType.INT4, ByteString.copyFrom(b), dims);
    }

    /** A zero point of the given integer type (scalar), shared by every tensor of that type. */
    String zeroPoint(TensorProto.DataType type) {
        return constants.computeIfAbsent("zp/" + type, k -> type == TensorProto.DataType.INT4
                ? int4("zero_int4", new int[] {0}) : int8("zero_int8", new int[] {0}));
    }

    /** A 1-D int64 constant (shapes, axes, indices), shared when the same values are asked for again. */
    String longs(String base, long... values) {
        return constants.computeIfAbsent("i64/" + java.util.Arrays.toString(values), k -> {
            ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(values);
            return initializer(base, TensorProto.DataType.INT64, ByteString.copyFrom(b.array()), values.length);
        });
    }

    /** A scalar int64 constant, shared. */
    String longScalar(String base, long value) {
        return constants.computeIfAbsent("i64s/" + value, k -> {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
            return initializer(base, TensorProto.DataType.INT64, ByteString.copyFrom(b.array()));
        });
    }

    /** A scalar float constant, shared. */
    String floatConstant(String base, float value) {
        return constants.computeIfAbsent("f32/" + Float.floatToIntBits(value), k -> scalar(base, value));
    }

    private String initializer(String base, TensorProto.DataType type, ByteString raw, long... dims) {
        String name = fresh(base);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber()).setRawData(raw);
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    private static void checkCount(String name, int count, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        if (n != count) {
            throw new IllegalArgumentException(name + ": " + count + " values for shape " + java.util.Arrays.toString(dims));
        }
    }

    /** A graph input of element type {@code type}; each dimension a size ("12") or a symbol ("batch"). */
    void input(String name, TensorProto.DataType type, String... dims) {
        graph.addInput(valueInfo(name, type, dims));
    }

    /** A graph output: value {@code value} under the name {@code name} (an Identity node renames it). */
    void output(String name, String value, TensorProto.DataType type, String... dims) {
        graph.addNode(NodeProto.newBuilder().setOpType("Identity").setName(name + "/Identity").addInput(value).addOutput(name));
        graph.addOutput(valueInfo(name, type, dims));
    }

    private static Onnx.ValueInfoProto valueInfo(String name, TensorProto.DataType type, String... dims) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        for (String d : dims) {
            Onnx.TensorShapeProto.Dimension.Builder dim = Onnx.TensorShapeProto.Dimension.newBuilder();
            if (d.chars().allMatch(Character::isDigit)) {
                dim.setDimValue(Long.parseLong(d));
            } else {
                dim.setDimParam(d);
            }
            shape.addDim(dim);
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape))).build();
    }

    /** An integer attribute. */
    static AttributeProto attr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    /** A float attribute. */
    static AttributeProto attr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    /** A string attribute. */
    static AttributeProto attr(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    /** An integer-list attribute. */
    static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }
}
