package ttq.model.pretrained;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model file a pretrained encoder needs: the graph's initializers (weights)
 * and its nodes (to learn which anonymous initializer feeds which layer). Read with protobuf-java's
 * wire-format reader against the field numbers of onnx.proto (ModelProto.graph = 7;
 * GraphProto.node = 1, initializer = 5; NodeProto.input = 1, output = 2, op_type = 4;
 * TensorProto.dims = 1, data_type = 2, float_data = 4, int64_data = 7, name = 8, raw_data = 9);
 * every other field is skipped. Float and int64 tensors are kept; others are listed without data.
 */
public final class OnnxModelFile {
    /** TensorProto.DataType values this reader decodes. */
    static final int FLOAT = 1, INT64 = 7;

    /** One initializer: its shape, ONNX data type, and values (floats for FLOAT, longs for INT64). */
    public record Initializer(String name, long[] dims, int dataType, float[] floats, long[] longs) {
        /** Number of elements (the product of dims). */
        public int numel() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return Math.toIntExact(n);
        }
    }

    /** One graph node. */
    public record Node(String opType, List<String> inputs, List<String> outputs) {
    }

    private final String source;
    private final Map<String, Initializer> initializers;
    private final List<Node> nodes;

    private OnnxModelFile(String source, Map<String, Initializer> initializers, List<Node> nodes) {
        this.source = source;
        this.initializers = Collections.unmodifiableMap(initializers);
        this.nodes = Collections.unmodifiableList(nodes);
    }

    /** Reads the graph initializers of an ONNX model file. */
    public static OnnxModelFile read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /** Reads a model from a stream; {@code source} names it in error messages. */
    public static OnnxModelFile read(InputStream stream, String source) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(stream);
        in.setSizeLimit(Integer.MAX_VALUE);
        Map<String, Initializer> inits = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        boolean sawGraph = false;
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                if (WireFormat.getTagFieldNumber(tag) == 7 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    sawGraph = true;
                    int limit = in.pushLimit(in.readRawVarint32());
                    readGraph(in, inits, nodes, source);
                    endOf(in, limit, source, "graph");
                } else {
                    in.skipField(tag);
                }
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IOException(source + ": not a valid ONNX model file (" + e.getMessage() + ")", e);
        }
        if (!sawGraph || nodes.isEmpty()) {
            throw new IOException(source + ": no graph in this ONNX file (empty, truncated or not ONNX)");
        }
        return new OnnxModelFile(source, inits, nodes);
    }

    private static void readGraph(CodedInputStream in, Map<String, Initializer> inits, List<Node> nodes, String source) throws IOException {
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 || field == 5) {
                int limit = in.pushLimit(in.readRawVarint32());
                if (field == 1) {
                    nodes.add(readNode(in));
                    endOf(in, limit, source, "node");
                } else {
                    Initializer t = readTensor(in, source);
                    endOf(in, limit, source, "initializer '" + t.name() + "'");
                    if (inits.put(t.name(), t) != null) {
                        throw new IOException(source + ": initializer '" + t.name() + "' appears twice");
                    }
                }
            } else {
                in.skipField(tag);
            }
        }
    }

    private static Node readNode(CodedInputStream in) throws IOException {
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        String op = "";
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(in.readString());
                case 2 -> outputs.add(in.readString());
                case 4 -> op = in.readString();
                default -> in.skipField(tag);
            }
        }
        return new Node(op, List.copyOf(inputs), List.copyOf(outputs));
    }

    private static Initializer readTensor(CodedInputStream in, String source) throws IOException {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = null;
        byte[] raw = null;
        List<Float> floatData = new ArrayList<>();
        List<Long> longData = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            boolean packed = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
            switch (field) {
                case 1 -> readRepeated(in, packed, in::readInt64, dims);
                case 2 -> type = in.readInt32();
                case 4 -> readRepeated(in, packed, in::readFloat, floatData);
                case 7 -> readRepeated(in, packed, in::readInt64, longData);
                case 8 -> name = in.readString();
                case 9 -> raw = in.readByteArray();
                default -> in.skipField(tag);
            }
        }
        if (name == null) {
            throw new IOException(source + ": an initializer has no name");
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IOException(source + ": initializer '" + name + "' has a negative dimension");
            }
            n *= d;
        }
        float[] floats = null;
        long[] longs = null;
        if (type == FLOAT) {
            if (raw != null) {
                check(source, name, raw.length, n * 4);
                floats = new float[(int) n];
                ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floats);
            } else {
                check(source, name, floatData.size() * 4L, n * 4);
                floats = new float[(int) n];
                for (int i = 0; i < floats.length; i++) {
                    floats[i] = floatData.get(i);
                }
            }
        } else if (type == INT64) {
            if (raw != null) {
                check(source, name, raw.length, n * 8);
                longs = new long[(int) n];
                ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(longs);
            } else {
                check(source, name, longData.size() * 8L, n * 8);
                longs = longData.stream().mapToLong(Long::longValue).toArray();
            }
        }
        return new Initializer(name, shape, type, floats, longs);
    }

    /** Closes a nested message, failing when the file ended before the length its header declared. */
    private static void endOf(CodedInputStream in, int limit, String source, String what) throws IOException {
        if (in.getBytesUntilLimit() > 0) {
            throw new IOException(source + ": truncated ONNX file (" + what + " cut short, "
                    + in.getBytesUntilLimit() + " bytes missing)");
        }
        in.popLimit(limit);
    }

    /** One value of a repeated scalar field. */
    @FunctionalInterface
    private interface ValueReader<T> {
        T read() throws IOException;
    }

    /** A repeated scalar field: one value, or (packed) a length-delimited run of them. */
    private static <T> void readRepeated(CodedInputStream in, boolean packed, ValueReader<T> one, List<T> into) throws IOException {
        if (packed) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (!in.isAtEnd()) {
                into.add(one.read());
            }
            in.popLimit(limit);
        } else {
            into.add(one.read());
        }
    }

    private static void check(String source, String name, long bytes, long expected) throws IOException {
        if (bytes != expected) {
            throw new IOException(source + ": initializer '" + name + "' holds " + bytes + " bytes, its shape needs " + expected);
        }
    }

    /** Where the model came from (file or jar entry), for messages. */
    public String source() {
        return source;
    }

    /** Initializers by name, in file order. */
    public Map<String, Initializer> initializers() {
        return initializers;
    }

    /** Nodes in file (topological) order. */
    public List<Node> nodes() {
        return nodes;
    }
}
