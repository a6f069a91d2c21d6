package ttq.engine.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import ttq.engine.Tensor;

/**
 * Collects tensors of mixed dtypes plus string metadata and writes them as one safetensors file,
 * atomically. Tensors are laid out sorted by name, with an 8-byte aligned header, so the same
 * content always gives the same bytes. Values are referenced, not copied, until {@link #write}:
 * saving a large model should not need twice its memory.
 */
public final class SafeTensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK_BYTES = 1 << 20;

    /** One tensor to write; exactly one of the arrays is set. */
    private record Pending(DType dtype, long[] shape, int numel, float[] floats, long[] longs, byte[] bytes, ByteBuffer raw) {
        long byteLength() {
            return (long) numel * dtype.byteSize();
        }
    }

    private final Map<String, Pending> tensors = new TreeMap<>();
    private final Map<String, String> metadata = new TreeMap<>();

    /** An empty writer; {@link SafeTensors#writer()} is the usual way to get one. */
    public SafeTensorsWriter() {
    }

    /** Adds a float32 tensor (its current storage is read at write time). */
    public SafeTensorsWriter putF32(String name, Tensor tensor) {
        return putF32(name, tensor.data(), tensor.shape());
    }

    /** Adds float32 values with the given shape. */
    public SafeTensorsWriter putF32(String name, float[] values, int... shape) {
        return add(name, new Pending(DType.F32, check(name, values.length, shape), values.length, values, null, null, null));
    }

    /** Adds int64 values with the given shape (token ids, step counters). */
    public SafeTensorsWriter putI64(String name, long[] values, int... shape) {
        return add(name, new Pending(DType.I64, check(name, values.length, shape), values.length, null, values, null, null));
    }

    /** Adds signed 8-bit values with the given shape (quantized weights). */
    public SafeTensorsWriter putI8(String name, byte[] values, int... shape) {
        return add(name, new Pending(DType.I8, check(name, values.length, shape), values.length, null, null, values, null));
    }

    /** Adds unsigned 8-bit values with the given shape; Java bytes are read as 0..255. */
    public SafeTensorsWriter putU8(String name, byte[] values, int... shape) {
        return add(name, new Pending(DType.U8, check(name, values.length, shape), values.length, null, null, values, null));
    }

    /** Adds an entry as is, whatever its dtype (to copy tensors between files without conversion). */
    public SafeTensorsWriter put(SafeTensorEntry entry) {
        checkName(entry.name());
        return add(entry.name(), new Pending(entry.dtype(), entry.shape(), entry.numel(), null, null, null, entry.data()));
    }

    /** Sets a {@code __metadata__} string (e.g. "format" = "pt", which Hugging Face loaders expect). */
    public SafeTensorsWriter metadata(String key, String value) {
        if (key == null || value == null) {
            throw new NullPointerException("metadata key and value must not be null");
        }
        requireWellFormed("metadata key", key);
        requireWellFormed("metadata value of '" + key + "'", value);
        metadata.put(key, value);
        return this;
    }

    private SafeTensorsWriter add(String name, Pending p) {
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        tensors.put(name, p);
        return this;
    }

    private static void checkName(String name) {
        if (name == null) {
            throw new NullPointerException("tensor name must not be null");
        }
        if (name.equals(SafeTensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException("'" + name + "' is reserved for metadata and cannot name a tensor");
        }
        requireWellFormed("tensor name", name);
    }

    private static long[] check(String name, int length, int[] shape) {
        checkName(name);
        long n = 1;
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
            }
            n *= shape[i];
            n = Math.min(n, Long.MAX_VALUE / Integer.MAX_VALUE); // saturate instead of overflowing
            s[i] = shape[i];
        }
        if (n != length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + length + " values do not fit shape " + Arrays.toString(shape));
        }
        return s;
    }

    /** Rejects lone surrogates up front: they have no UTF-8 encoding, so the header could not be written. */
    private static void requireWellFormed(String what, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " has a lone UTF-16 surrogate at index " + i + ": not valid Unicode");
            }
        }
    }

    /** The exact size of the file {@link #write} would produce: 8-byte length, padded header, data. */
    public long fileBytes() throws IOException {
        return 8L + header().length + tensors.values().stream().mapToLong(Pending::byteLength).sum();
    }

    /** Writes all tensors to file, replacing it atomically (temp file, fsync, rename). */
    public void write(Path file) throws IOException {
        byte[] header = header();
        AtomicFileWrite.write(file, ch -> {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, prefix);
            writeFully(ch, ByteBuffer.wrap(header));
            long maxBytes = tensors.values().stream().mapToLong(Pending::byteLength).max().orElse(0);
            ByteBuffer chunk = ByteBuffer.allocate((int) Math.max(8, Math.min(CHUNK_BYTES, maxBytes))).order(ByteOrder.LITTLE_ENDIAN);
            for (Pending p : tensors.values()) {
                writeData(ch, p, chunk);
            }
        });
    }

    /** The header JSON padded with spaces to a multiple of 8 bytes, as the reference writer does. */
    private byte[] header() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafeTensorsHeader.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Pending> e : tensors.entrySet()) {
            Pending p = e.getValue();
            ObjectNode t = root.putObject(e.getKey());
            t.put("dtype", p.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : p.shape()) {
                shape.add(d);
            }
            long end = offset + p.byteLength();
            t.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeData(FileChannel ch, Pending p, ByteBuffer chunk) throws IOException {
        if (p.bytes() != null) {
            writeFully(ch, ByteBuffer.wrap(p.bytes()));
            return;
        }
        if (p.raw() != null) {
            writeFully(ch, p.raw().duplicate());
            return;
        }
        int size = p.dtype().byteSize();
        int perChunk = chunk.capacity() / size;
        for (int i = 0; i < p.numel(); i += perChunk) {
            int k = Math.min(perChunk, p.numel() - i);
            chunk.clear();
            if (p.floats() != null) {
                chunk.asFloatBuffer().put(p.floats(), i, k);
            } else {
                chunk.asLongBuffer().put(p.longs(), i, k);
            }
            chunk.limit(k * size);
            writeFully(ch, chunk);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
