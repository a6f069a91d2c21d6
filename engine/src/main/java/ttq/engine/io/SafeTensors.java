package ttq.engine.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ttq.engine.Tensor;

/**
 * Reading and writing Hugging Face safetensors files: an 8-byte little-endian header length, a
 * JSON header (name to dtype, shape, data_offsets, plus optional string metadata) and the raw
 * little-endian data. Readers validate the whole header against the file size before allocating
 * tensor memory, and report every defect as a {@link SafeTensorsFormatException}; writers replace
 * files atomically.
 */
public final class SafeTensors {
    private static final int CHUNK_BYTES = 1 << 20;
    /** Largest Java array most VMs allocate. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private SafeTensors() {
    }

    /** All entries with their stored dtypes, plus the metadata. Needs about the data size in memory. */
    public static SafeTensorFile read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            SafeTensorsHeader header = SafeTensorsHeader.read(file, ch);
            for (SafeTensorsHeader.Info t : header.tensors) {
                if (t.byteLength() > MAX_ARRAY) {
                    throw new SafeTensorsFormatException(file, t.name(), t.byteLength() + " bytes of data exceed the "
                            + MAX_ARRAY + "-byte limit of one in-memory tensor");
                }
            }
            List<SafeTensorEntry> entries = new ArrayList<>();
            for (SafeTensorsHeader.Info t : header.tensors) {
                byte[] bytes = new byte[(int) t.byteLength()];
                SafeTensorsHeader.readFully(file, ch, ByteBuffer.wrap(bytes), header.dataStart + t.begin());
                entries.add(SafeTensorEntry.trusted(t.name(), t.dtype(), t.shape(), bytes));
            }
            return new SafeTensorFile(file, header.metadata, entries);
        }
    }

    /** The {@code __metadata__} strings only, without reading tensor data. */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return SafeTensorsHeader.read(file, ch).metadata;
        }
    }

    /**
     * Every tensor converted to float32 (whatever its stored dtype), in file order. Data is decoded
     * through a small buffer straight into the result arrays, so memory use is about the float size.
     */
    public static Map<String, Tensor> readFloats(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            SafeTensorsHeader header = SafeTensorsHeader.read(file, ch);
            long maxBytes = 0;
            for (SafeTensorsHeader.Info t : header.tensors) {
                long n = t.byteLength() / t.dtype().byteSize();
                if (n > MAX_ARRAY) {
                    throw new SafeTensorsFormatException(file, t.name(), n + " elements exceed the " + MAX_ARRAY
                            + "-element limit of a float tensor");
                }
                for (long d : t.shape()) {
                    if (d > Integer.MAX_VALUE) {
                        throw new SafeTensorsFormatException(file, t.name(), "dimension " + d + " of shape "
                                + Arrays.toString(t.shape()) + " exceeds the int range of a float tensor");
                    }
                }
                maxBytes = Math.max(maxBytes, t.byteLength());
            }
            ByteBuffer chunk = ByteBuffer.allocate((int) Math.max(8, Math.min(CHUNK_BYTES, maxBytes))).order(ByteOrder.LITTLE_ENDIAN);
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (SafeTensorsHeader.Info t : header.tensors) {
                int size = t.dtype().byteSize();
                float[] values = new float[(int) (t.byteLength() / size)];
                int perChunk = chunk.capacity() / size;
                for (int i = 0; i < values.length; i += perChunk) {
                    int k = Math.min(perChunk, values.length - i);
                    chunk.clear().limit(k * size);
                    SafeTensorsHeader.readFully(file, ch, chunk, header.dataStart + t.begin() + (long) i * size);
                    chunk.flip();
                    Decoding.toFloats(t.dtype(), chunk, values, i, k);
                }
                int[] shape = new int[t.shape().length];
                for (int d = 0; d < shape.length; d++) {
                    shape[d] = (int) t.shape()[d];
                }
                out.put(t.name(), Tensor.wrap(values, shape));
            }
            return out;
        }
    }

    /** Writes float32 tensors (sorted by name) to file, atomically. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /** Writes float32 tensors and {@code __metadata__} strings to file, atomically. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        SafeTensorsWriter w = writer();
        tensors.forEach(w::putF32);
        metadata.forEach(w::metadata);
        w.write(file);
    }

    /** A builder for files with mixed dtypes and metadata. */
    public static SafeTensorsWriter writer() {
        return new SafeTensorsWriter();
    }
}
