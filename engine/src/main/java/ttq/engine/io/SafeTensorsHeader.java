package ttq.engine.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The validated header of a safetensors file. Everything the header claims is checked against the
 * real file size here, before any tensor buffer is allocated, so a corrupt or hostile file yields a
 * {@link SafeTensorsFormatException} rather than an OutOfMemoryError or an index exception later.
 */
final class SafeTensorsHeader {
    /** Same limit as the reference implementation: larger headers are refused unread. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** One tensor's validated header entry; offsets are relative to the data section. */
    record Info(String name, DType dtype, long[] shape, long begin, long end) {
        long byteLength() {
            return end - begin;
        }
    }

    final Path file;
    /** Absolute file position of the data section. */
    final long dataStart;
    final long dataLength;
    final Map<String, String> metadata;
    /** Sorted by data offset: file order, which makes reads sequential. */
    final List<Info> tensors;

    private SafeTensorsHeader(Path file, long dataStart, long dataLength, Map<String, String> metadata, List<Info> tensors) {
        this.file = file;
        this.dataStart = dataStart;
        this.dataLength = dataLength;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /** Reads and validates the length prefix and header of an open file. */
    static SafeTensorsHeader read(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SafeTensorsFormatException(file, "truncated: file is " + size
                    + " bytes, shorter than the 8-byte header length prefix");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, ch, prefix, 0);
        long n = prefix.getLong(0);
        // Compare unsigned: a length with the top bit set is simply huge.
        if (Long.compareUnsigned(n, size - 8) > 0) {
            throw new SafeTensorsFormatException(file, "header length " + Long.toUnsignedString(n)
                    + " is larger than the rest of the file (" + (size - 8) + " bytes): truncated or not a safetensors file");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new SafeTensorsFormatException(file, "header length " + n + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
        readFully(file, ch, headerBytes, 8);
        headerBytes.flip();
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBytes).toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsFormatException(file, null, "header is not valid UTF-8", e);
        }
        return parse(file, text, 8 + n, size - 8 - n);
    }

    /** Validates header JSON text against a data section of dataLength bytes. */
    static SafeTensorsHeader parse(Path file, String text, long dataStart, long dataLength) throws SafeTensorsFormatException {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw new SafeTensorsFormatException(file, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafeTensorsFormatException(file, "header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Info> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                tensors.add(entry(file, field.getKey(), field.getValue(), dataLength));
            }
        }
        // Zero-length tensors sort before a tensor starting at the same offset.
        tensors.sort(Comparator.comparingLong(Info::begin).thenComparingLong(Info::end).thenComparing(Info::name));
        long expected = 0;
        Info previous = null;
        for (Info t : tensors) {
            if (t.begin < expected) {
                throw new SafeTensorsFormatException(file, "tensors '" + previous.name + "' " + offsets(previous)
                        + " and '" + t.name + "' " + offsets(t) + " overlap");
            }
            if (t.begin > expected) {
                throw new SafeTensorsFormatException(file, t.name, "gap of " + (t.begin - expected)
                        + " unindexed bytes before data_offsets " + offsets(t) + " (the data section must have no holes)");
            }
            expected = t.end;
            previous = t;
        }
        if (expected != dataLength) {
            throw new SafeTensorsFormatException(file, "data section is " + dataLength + " bytes but tensors cover only "
                    + expected + ": " + (dataLength - expected) + " trailing bytes");
        }
        return new SafeTensorsHeader(file, dataStart, dataLength, Collections.unmodifiableMap(metadata),
                Collections.unmodifiableList(tensors));
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) throws SafeTensorsFormatException {
        if (node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw new SafeTensorsFormatException(file, METADATA_KEY + " is not a JSON object");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafeTensorsFormatException(file, METADATA_KEY + " value of '" + e.getKey()
                        + "' is not a string: " + e.getValue().getNodeType());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static Info entry(Path file, String name, JsonNode node, long dataLength) throws SafeTensorsFormatException {
        if (!node.isObject()) {
            throw new SafeTensorsFormatException(file, name, "entry is not a JSON object");
        }
        JsonNode dtypeNode = require(file, name, node, "dtype");
        if (!dtypeNode.isTextual()) {
            throw new SafeTensorsFormatException(file, name, "dtype is not a string");
        }
        DType dtype = DType.fromName(dtypeNode.textValue());
        if (dtype == null) {
            throw new SafeTensorsFormatException(file, name, "unknown dtype '" + dtypeNode.textValue()
                    + "' (supported: " + Arrays.toString(DType.values()) + ")");
        }
        long[] shape = longs(file, name, require(file, name, node, "shape"), "shape", -1);
        for (long d : shape) {
            if (d < 0) {
                throw new SafeTensorsFormatException(file, name, "negative dimension " + d + " in shape " + Arrays.toString(shape));
            }
        }
        long[] off = longs(file, name, require(file, name, node, "data_offsets"), "data_offsets", 2);
        String offStr = Arrays.toString(off);
        if (off[0] < 0 || off[1] < 0) {
            throw new SafeTensorsFormatException(file, name, "negative offset in data_offsets " + offStr);
        }
        if (off[0] > off[1]) {
            throw new SafeTensorsFormatException(file, name, "data_offsets " + offStr + " have begin > end");
        }
        if (off[1] > dataLength) {
            throw new SafeTensorsFormatException(file, name, "data_offsets " + offStr + " end beyond data section of "
                    + dataLength + " bytes (truncated file?)");
        }
        long numel = SafeTensorEntry.numel(shape);
        if (numel < 0 || numel > Long.MAX_VALUE / dtype.byteSize()) {
            throw new SafeTensorsFormatException(file, name, "element count of shape " + Arrays.toString(shape) + " overflows");
        }
        long need = numel * dtype.byteSize();
        if (off[1] - off[0] != need) {
            throw new SafeTensorsFormatException(file, name, "wrong byte count: shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + need + " bytes but data_offsets " + offStr + " span " + (off[1] - off[0]));
        }
        return new Info(name, dtype, shape, off[0], off[1]);
    }

    private static JsonNode require(Path file, String name, JsonNode node, String field) throws SafeTensorsFormatException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new SafeTensorsFormatException(file, name, "entry is missing '" + field + "'");
        }
        return v;
    }

    /** An array of integers that fit a long (of exactly the given length unless it is -1). */
    private static long[] longs(Path file, String name, JsonNode node, String field, int length) throws SafeTensorsFormatException {
        if (!node.isArray() || (length >= 0 && node.size() != length)) {
            throw new SafeTensorsFormatException(file, name, field + " is not an array of "
                    + (length >= 0 ? length + " " : "") + "integers: " + abbreviate(node.toString()));
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw new SafeTensorsFormatException(file, name, field + " element " + abbreviate(v.toString())
                        + " is not an integer in long range");
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private static String offsets(Info t) {
        return "[" + t.begin + ", " + t.end + "]";
    }

    /** Fills buf from position pos, failing (instead of spinning or returning short) if the file ends early. */
    static void readFully(Path file, FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        long p = pos;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, p);
            if (r < 0) {
                throw new SafeTensorsFormatException(file, "file ended at byte " + p + " while reading (changed while being read?)");
            }
            p += r;
        }
    }
}
