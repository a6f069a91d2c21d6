package ttq.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.Tensor;

class SafeTensorsTest {
    @TempDir
    Path dir;

    /**
     * Bytes written by Python safetensors 0.8.0 for {"weight": float32 [[1, 2], [3, 4]], "ids": int64
     * [1, -2, 3]}: the reference sorts by dtype alignment then name, which here agrees with our name order.
     */
    static final String PYTHON_HEX = "7800000000000000"
            + "7b22696473223a7b226474797065223a22493634222c227368617065223a5b335d2c22646174615f6f666673657473223a5b302c32345d7d2c"
            + "22776569676874223a7b226474797065223a22463332222c227368617065223a5b322c325d2c22646174615f6f666673657473223a5b32342c34305d7d7d20"
            + "0100000000000000feffffffffffffff0300000000000000"
            + "0000803f000000400000404000008040";

    // ------------------------------------------------------------------ fixture helpers

    /** A file: 8-byte little-endian length of the UTF-8 header, the header, then data. */
    static byte[] fixture(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return concat(le64(h.length), h, data);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    static byte[] le64(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    static byte[] le32(int... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) {
            b.putInt(x);
        }
        return b.array();
    }

    static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    static byte[] le16(int... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) {
            b.putShort((short) x);
        }
        return b.array();
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    Path file(byte[] content) throws IOException {
        Path p = dir.resolve("model.safetensors");
        Files.write(p, content);
        return p;
    }

    /** Both readers must refuse the file with a message naming the file and every fragment. */
    SafeTensorsFormatException expectFormatError(byte[] content, String... fragments) throws IOException {
        Path p = file(content);
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(p));
        SafeTensorsFormatException e2 = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.readFloats(p));
        assertEquals(e.getMessage(), e2.getMessage());
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
        return e;
    }

    static int bits(float f) {
        return Float.floatToRawIntBits(f);
    }

    // ------------------------------------------------------------------ known files

    @Test
    void readsFileWrittenByPython() throws IOException {
        Path p = file(HexFormat.of().parseHex(PYTHON_HEX));
        SafeTensorFile f = SafeTensors.read(p);
        assertEquals(List.of("ids", "weight"), List.copyOf(f.names()));
        assertTrue(f.metadata().isEmpty());
        SafeTensorEntry ids = f.get("ids");
        assertEquals(DType.I64, ids.dtype());
        assertArrayEquals(new long[] {3}, ids.shape());
        assertArrayEquals(new long[] {1, -2, 3}, ids.toLongArray());
        assertArrayEquals(new int[] {1, -2, 3}, ids.toIntArray());
        SafeTensorEntry w = f.get("weight");
        assertEquals(DType.F32, w.dtype());
        assertArrayEquals(new int[] {2, 2}, w.intShape());
        assertArrayEquals(new float[] {1, 2, 3, 4}, w.toFloatArray());

        Map<String, Tensor> floats = SafeTensors.readFloats(p);
        assertEquals(List.of("ids", "weight"), List.copyOf(floats.keySet()));
        assertArrayEquals(new float[] {1, -2, 3}, floats.get("ids").data());
        assertArrayEquals(new int[] {2, 2}, floats.get("weight").shape());
        assertArrayEquals(new float[] {1, 2, 3, 4}, floats.get("weight").data());
    }

    @Test
    void writesTheSameBytesAsPython() throws IOException {
        Path p = dir.resolve("out.safetensors");
        SafeTensors.writer()
                .putF32("weight", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2))
                .putI64("ids", new long[] {1, -2, 3}, 3)
                .write(p);
        assertEquals(PYTHON_HEX, HexFormat.of().formatHex(Files.readAllBytes(p)));
    }

    @Test
    void writesMetadataFirstLikePython() throws IOException {
        // Python: serialize(..., {"format": "pt"}) gives this header, padded with two spaces to 152 bytes.
        String header = "{\"__metadata__\":{\"format\":\"pt\"}," + entry("ids", "I64", "[3]", 0, 24) + ","
                + entry("weight", "F32", "[2,2]", 24, 40) + "}  ";
        byte[] expected = fixture(header, concat(le64(1, -2, 3), f32(1, 2, 3, 4)));
        assertEquals(200, expected.length);
        Path p = dir.resolve("out.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("weight", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
        SafeTensors.writer().putI64("ids", new long[] {1, -2, 3}, 3).putF32("weight", tensors.get("weight"))
                .metadata("format", "pt").write(p);
        assertArrayEquals(expected, Files.readAllBytes(p));
        assertEquals(Map.of("format", "pt"), SafeTensors.read(p).metadata());
        assertEquals(Map.of("format", "pt"), SafeTensors.readMetadata(p));
    }

    @Test
    void headerIsPaddedToEightBytes() throws IOException {
        for (int len = 0; len < 10; len++) {
            Path p = dir.resolve("pad" + len + ".safetensors");
            SafeTensors.write(p, Map.of("x".repeat(len + 1), Tensor.scalar(1f)));
            byte[] b = Files.readAllBytes(p);
            long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(0, (8 + n) % 8);
            assertEquals(8 + n + 4, b.length);
        }
    }

    @Test
    void decodesF16() throws IOException {
        int[] halfs = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x7C00, 0xFC00, 0x7E00, 0x8000, 0x0000, 0x3555, 0x8001};
        float[] expected = {1f, -2f, 65504f, 5.9604645e-8f, 6.097555e-5f, 6.1035156e-5f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, -0f, 0f, 0.33325195f, -5.9604645e-8f};
        Path p = file(fixture("{" + entry("h", "F16", "[13]", 0, 26) + "}", le16(halfs)));
        float[] got = SafeTensors.read(p).get("h").toFloatArray();
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertTrue(Float.isNaN(got[i]), "index " + i);
            } else {
                assertEquals(bits(expected[i]), bits(got[i]), "index " + i + ": " + got[i]);
            }
        }
        assertEquals(0x7FC0_0000, bits(got[8]), "quiet NaN keeps its quiet bit");
        assertArrayEquals(got, SafeTensors.readFloats(p).get("h").data());
    }

    @Test
    void f16DecodingMatchesTheDefinitionForAllBitPatterns() {
        for (int h = 0; h < 0x10000; h++) {
            int sign = h >>> 15;
            int exp = (h >>> 10) & 0x1F;
            int mant = h & 0x3FF;
            double magnitude;
            if (exp == 0x1F) {
                magnitude = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            } else if (exp == 0) {
                magnitude = Math.scalb((double) mant, -24);
            } else {
                magnitude = Math.scalb(1.0 + mant / 1024.0, exp - 15);
            }
            double want = sign == 1 ? -magnitude : magnitude;
            float got = HalfFloats.f16ToFloat((short) h);
            if (Double.isNaN(want)) {
                assertTrue(Float.isNaN(got), Integer.toHexString(h));
            } else {
                assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(got), Integer.toHexString(h));
            }
        }
    }

    @Test
    void decodesBf16() throws IOException {
        int[] b = {0x3F80, 0xC000, 0x4049, 0x7F80, 0xFF80, 0x7FC0, 0x8000, 0x0001, 0x7F7F};
        float[] expected = {1f, -2f, 3.140625f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, -0f,
            Float.intBitsToFloat(0x0001_0000), Float.intBitsToFloat(0x7F7F_0000)};
        Path p = file(fixture("{" + entry("b", "BF16", "[3,3]", 0, 18) + "}", le16(b)));
        Tensor t = SafeTensors.readFloats(p).get("b");
        assertArrayEquals(new int[] {3, 3}, t.shape());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(bits(expected[i]), bits(t.data()[i]), "index " + i);
        }
    }

    @Test
    void readsIntegerDtypes() throws IOException {
        String header = "{" + entry("i32", "I32", "[3]", 0, 12) + "," + entry("i8", "I8", "[4]", 12, 16) + ","
                + entry("u8", "U8", "[3]", 16, 19) + "}";
        byte[] data = concat(le32(Integer.MIN_VALUE, Integer.MAX_VALUE, -1), bytes(-128, 127, -1, 0), bytes(0, 255, 128));
        Path p = file(fixture(header, data));
        SafeTensorFile f = SafeTensors.read(p);
        assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE, -1}, f.get("i32").toLongArray());
        assertArrayEquals(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, -1}, f.get("i32").toIntArray());
        assertArrayEquals(new long[] {-128, 127, -1, 0}, f.get("i8").toLongArray());
        assertArrayEquals(new int[] {0, 255, 128}, f.get("u8").toIntArray());
        assertArrayEquals(new float[] {0, 255, 128}, f.get("u8").toFloatTensor().data());
        assertArrayEquals(new float[] {-128, 127, -1, 0}, f.get("i8").toFloatArray());
        Map<String, Tensor> floats = SafeTensors.readFloats(p);
        assertArrayEquals(new float[] {Integer.MIN_VALUE, Integer.MAX_VALUE, -1}, floats.get("i32").data());
        assertEquals(3, f.get("u8").numel());
    }

    @Test
    void integerAccessorsRefuseWhatTheyCannotRepresent() throws IOException {
        String header = "{" + entry("big", "I64", "[1]", 0, 8) + "," + entry("f", "F32", "[]", 8, 12) + "}";
        Path p = file(fixture(header, concat(le64(1L << 40), f32(1.5f))));
        SafeTensorFile f = SafeTensors.read(p);
        assertArrayEquals(new long[] {1L << 40}, f.get("big").toLongArray());
        ArithmeticException a = assertThrows(ArithmeticException.class, () -> f.get("big").toIntArray());
        assertTrue(a.getMessage().contains("'big'"), a.getMessage());
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> f.get("f").toLongArray());
        assertTrue(s.getMessage().contains("'f'") && s.getMessage().contains("F32"), s.getMessage());
        assertEquals(0, f.get("f").toFloatTensor().rank(), "scalar shape []");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> f.get("nope"));
        assertTrue(missing.getMessage().contains("'nope'"));
        assertFalse(f.contains("nope"));
    }

    @Test
    void acceptsWhitespaceAroundHeaderAndEmptyFiles() throws IOException {
        Path p = file(fixture("  {" + entry("a", "U8", "[2]", 0, 2) + "}     ", bytes(7, 8)));
        assertArrayEquals(new int[] {7, 8}, SafeTensors.read(p).get("a").toIntArray());
        assertTrue(SafeTensors.readFloats(file(fixture("{}", new byte[0]))).isEmpty());
        assertTrue(SafeTensors.read(file(fixture("{\"__metadata__\":null}", new byte[0]))).entries().isEmpty());
    }

    @Test
    void zeroSizedTensorsMayShareAnOffset() throws IOException {
        String header = "{" + entry("a", "F32", "[0]", 0, 0) + "," + entry("b", "F32", "[2,0,3]", 0, 0) + ","
                + entry("c", "F32", "[1]", 0, 4) + "," + entry("d", "I64", "[0]", 4, 4) + "}";
        Path p = file(fixture(header, f32(9f)));
        Map<String, Tensor> t = SafeTensors.readFloats(p);
        assertArrayEquals(new int[] {2, 0, 3}, t.get("b").shape());
        assertEquals(9f, t.get("c").item());
        assertEquals(0, t.get("d").numel());
    }

    @Test
    void hugeDimensionIsReadableRawButNotAsFloats() throws IOException {
        Path p = file(fixture("{" + entry("z", "F32", "[0,3000000000]", 0, 0) + "}", new byte[0]));
        assertArrayEquals(new long[] {0, 3_000_000_000L}, SafeTensors.read(p).get("z").shape());
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.readFloats(p));
        assertTrue(e.getMessage().contains("'z'") && e.getMessage().contains("int range"), e.getMessage());
        assertEquals("z", e.tensor());
        assertEquals(p, e.file());
    }

    // ------------------------------------------------------------------ corrupt files

    @Test
    void truncatedLengthPrefix() throws IOException {
        expectFormatError(bytes(1, 2, 3, 4, 5), "truncated", "5 bytes");
        expectFormatError(new byte[0], "truncated", "0 bytes");
    }

    @Test
    void headerLengthLargerThanFile() throws IOException {
        expectFormatError(concat(le64(1L << 40), "{}".getBytes(StandardCharsets.UTF_8)),
                "header length 1099511627776 is larger than the rest of the file (2 bytes)");
        expectFormatError(le64(-1L), "header length 18446744073709551615");
    }

    @Test
    void headerLengthOverLimit() throws IOException {
        Path p = dir.resolve("model.safetensors");
        // A sparse file, so that the length check (not the file size check) is what fails.
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(le64(SafeTensorsHeader.MAX_HEADER_BYTES + 1));
            f.setLength(SafeTensorsHeader.MAX_HEADER_BYTES + 100);
        }
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(p));
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @Test
    void truncatedJson() throws IOException {
        expectFormatError(fixture("{\"w\":{\"dtype\":\"F32\",\"sha", new byte[0]), "header is not valid JSON");
    }

    @Test
    void malformedHeaders() throws IOException {
        expectFormatError(fixture("[1,2]", new byte[0]), "header is not a JSON object");
        expectFormatError(fixture("    ", new byte[0]), "header is not a JSON object");
        expectFormatError(fixture("{} x", new byte[0]), "not valid JSON");
        expectFormatError(fixture("{\"a\":{}, \"a\":{}}", new byte[0]), "not valid JSON", "Duplicate");
        expectFormatError(concat(le64(4), bytes('{', 0xC3, 0x28, '}')), "not valid UTF-8");
        expectFormatError(fixture("{\"__metadata__\":{\"k\":1}}", new byte[0]), "__metadata__ value of 'k' is not a string");
        expectFormatError(fixture("{\"__metadata__\":[]}", new byte[0]), "__metadata__ is not a JSON object");
        expectFormatError(fixture("{\"w\":3}", new byte[0]), "tensor 'w': entry is not a JSON object");
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        expectFormatError(fixture("{\"__metadata__\":" + deep + "}", new byte[0]), "not valid JSON");
        expectFormatError(fixture("{\"w\":{\"dtype\":\"F32\",\"shape\":[1e99999999],\"data_offsets\":[0,4]}}", f32(1)), "tensor 'w'");
    }

    @Test
    void missingFields() throws IOException {
        expectFormatError(fixture("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1)), "tensor 'w'", "missing 'dtype'");
        expectFormatError(fixture("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", f32(1)), "tensor 'w'", "missing 'shape'");
        expectFormatError(fixture("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", f32(1)), "tensor 'w'", "missing 'data_offsets'");
    }

    @Test
    void unknownDtype() throws IOException {
        expectFormatError(fixture("{" + entry("w", "F99", "[1]", 0, 4) + "}", f32(1)), "tensor 'w'", "unknown dtype 'F99'");
        expectFormatError(fixture("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1)), "dtype is not a string");
    }

    @Test
    void badShapesAndOffsets() throws IOException {
        expectFormatError(fixture("{" + entry("w", "F32", "[2,-1]", 0, 4) + "}", f32(1)), "tensor 'w'", "negative dimension -1");
        expectFormatError(fixture("{" + entry("w", "F32", "[1.5]", 0, 4) + "}", f32(1)), "shape element 1.5 is not an integer");
        expectFormatError(fixture("{" + entry("w", "F32", "7", 0, 4) + "}", f32(1)), "shape is not an array");
        expectFormatError(fixture("{" + entry("w", "F32", "[1]", -4, 4) + "}", f32(1)), "tensor 'w'", "negative offset");
        expectFormatError(fixture("{" + entry("w", "F32", "[1]", 8, 4) + "}", f32(1, 2, 3)), "tensor 'w'", "begin > end");
        expectFormatError(fixture("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", f32(1)),
                "data_offsets is not an array of 2 integers");
        expectFormatError(fixture("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1180591620717411303424]}}", f32(1)),
                "not an integer in long range");
        expectFormatError(fixture("{" + entry("w", "F32", "[4611686018427387904,4]", 0, 4) + "}", f32(1)),
                "tensor 'w'", "overflows");
    }

    @Test
    void dataEndsBeyondFile() throws IOException {
        SafeTensorsFormatException e = expectFormatError(fixture("{" + entry("w", "F32", "[10]", 0, 40) + "}", f32(1, 2, 3, 4, 5, 6, 7, 8)),
                "tensor 'w': data_offsets [0, 40] end beyond data section of 32 bytes");
        assertEquals("w", e.tensor());
    }

    @Test
    void wrongByteCountForShape() throws IOException {
        expectFormatError(fixture("{" + entry("w", "F32", "[2,2]", 0, 12) + "}", f32(1, 2, 3)),
                "tensor 'w'", "wrong byte count", "needs 16 bytes", "span 12");
    }

    @Test
    void overlappingTensors() throws IOException {
        String header = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}";
        expectFormatError(fixture(header, f32(1, 2, 3)), "tensors 'a' [0, 8] and 'b' [4, 12] overlap");
        String same = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 0, 8) + "}";
        expectFormatError(fixture(same, f32(1, 2)), "overlap");
    }

    @Test
    void holesAndTrailingBytesAreRejectedLikeTheReference() throws IOException {
        expectFormatError(fixture("{" + entry("a", "U8", "[2]", 1, 3) + "}", bytes(1, 2, 3)), "tensor 'a'", "gap of 1");
        expectFormatError(fixture("{" + entry("a", "U8", "[2]", 0, 2) + "}", bytes(1, 2, 3)), "1 trailing bytes");
    }

    // ------------------------------------------------------------------ writing

    @Test
    void roundTripsMixedDtypesAndMetadata() throws IOException {
        Path p = dir.resolve("mixed.safetensors");
        SafeTensors.writer()
                .putF32("f", new float[] {1.5f, -0f, Float.NaN, Float.NEGATIVE_INFINITY}, 2, 1, 2)
                .putI64("l", new long[] {Long.MIN_VALUE, Long.MAX_VALUE}, 2)
                .putI8("s", bytes(-128, 127), 1, 2)
                .putU8("u", bytes(255, 0, 1), 3)
                .metadata("step", "10")
                .metadata("note", "ünïcode ✓")
                .write(p);
        SafeTensorFile f = SafeTensors.read(p);
        assertEquals(List.of("f", "l", "s", "u"), List.copyOf(f.names()), "laid out sorted by name");
        assertEquals(Map.of("step", "10", "note", "ünïcode ✓"), f.metadata());
        assertArrayEquals(new long[] {2, 1, 2}, f.get("f").shape());
        assertEquals(bits(-0f), bits(f.get("f").toFloatArray()[1]));
        assertArrayEquals(new long[] {Long.MIN_VALUE, Long.MAX_VALUE}, f.get("l").toLongArray());
        assertArrayEquals(new long[] {-128, 127}, f.get("s").toLongArray());
        assertEquals(DType.U8, f.get("u").dtype());
        assertArrayEquals(new long[] {3}, f.get("u").shape());
        assertArrayEquals(new int[] {255, 0, 1}, f.get("u").toIntArray());
    }

    @Test
    void largeTensorsCrossChunkBoundaries() throws IOException {
        int n = 700_007; // several 1 MiB chunks for every dtype, with a partial last chunk
        float[] f = new float[n];
        long[] l = new long[n];
        byte[] half = new byte[2 * n];
        for (int i = 0; i < n; i++) {
            f[i] = i * 0.5f - 7;
            l[i] = (long) i * 1_000_003L - 5;
            half[2 * i + 1] = (byte) (i % 3 == 0 ? 0x3C : 0xC0); // 1.0 or -2.0 as F16
        }
        Path p = dir.resolve("large.safetensors");
        SafeTensors.writer().putF32("f", f, n).putI64("l", l, 7, n / 7)
                .put(SafeTensorEntry.of("h", DType.F16, new long[] {n}, half)).write(p);
        Map<String, Tensor> floats = SafeTensors.readFloats(p);
        assertArrayEquals(f, floats.get("f").data());
        assertArrayEquals(new int[] {7, n / 7}, floats.get("l").shape());
        float[] lf = floats.get("l").data();
        float[] hf = floats.get("h").data();
        for (int i = 0; i < n; i++) {
            assertEquals((float) l[i], lf[i]);
            assertEquals(i % 3 == 0 ? 1f : -2f, hf[i]);
        }
        assertArrayEquals(l, SafeTensors.read(p).get("l").toLongArray());
    }

    @Test
    void writerRejectsBadInput() {
        SafeTensorsWriter w = SafeTensors.writer().putF32("a", Tensor.scalar(1));
        assertThrows(IllegalArgumentException.class, () -> w.putF32("a", Tensor.scalar(2)));
        assertThrows(IllegalArgumentException.class, () -> w.putF32("__metadata__", Tensor.scalar(2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.putI64("ids", new long[3], 2, 2));
        assertTrue(e.getMessage().contains("'ids'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.putU8("n", new byte[0], -1, 0));
        assertThrows(IllegalArgumentException.class, () -> w.putI8("x\uD800", new byte[1], 1));
        assertThrows(IllegalArgumentException.class, () -> w.metadata("k", "\uDC00"));
    }

    @Test
    void copiesEntriesOfAnyDtypeUnchanged() throws IOException {
        String header = "{" + entry("h", "F16", "[2]", 0, 4) + "," + entry("i", "I32", "[1]", 4, 8) + "}";
        SafeTensorFile src = SafeTensors.read(file(fixture(header, concat(le16(0x3C00, 0x7E00), le32(-5)))));
        Path copy = dir.resolve("copy.safetensors");
        SafeTensorsWriter w = SafeTensors.writer();
        src.entries().forEach(w::put);
        w.write(copy);
        SafeTensorFile back = SafeTensors.read(copy);
        assertEquals(src.entries(), back.entries());
    }

    @Test
    void overwriteLeavesNoTempFiles() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        SafeTensors.write(p, Map.of("a", Tensor.ones(3)));
        SafeTensors.write(p, Map.of("b", Tensor.zeros(2, 2)));
        assertEquals(List.of("ckpt.safetensors"), listDir());
        assertEquals(List.of("b"), List.copyOf(SafeTensors.readFloats(p).keySet()));
    }

    @Test
    void failedWriteKeepsTheOldFileAndLeavesNoTempFiles() throws IOException {
        Path target = dir.resolve("busy");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep"), "x");
        assertThrows(IOException.class, () -> SafeTensors.write(target, Map.of("a", Tensor.ones(3))));
        assertEquals(List.of("busy"), listDir());
        assertTrue(Files.exists(target.resolve("keep")));
        assertThrows(IOException.class, () -> SafeTensors.write(dir.resolve("no/such/dir/x.safetensors"), Map.of()));
    }

    private List<String> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(x -> x.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    // ------------------------------------------------------------------ modules

    @Test
    void moduleRoundTrip() throws IOException {
        TinyModule saved = new TinyModule(1, 2, 3);
        Path p = dir.resolve("tiny.safetensors");
        Checkpoints.save(p, saved);
        SafeTensorFile f = SafeTensors.read(p);
        assertEquals(List.of("head.bias", "scale", "weight"), List.copyOf(f.names()));
        assertEquals("pt", f.metadata().get("format"));

        TinyModule loaded = new TinyModule(99, 2, 3);
        Tensor weightRef = loaded.weight;
        Checkpoints.load(p, loaded);
        assertArrayEquals(saved.weight.data(), loaded.weight.data());
        assertArrayEquals(saved.scale.data(), loaded.scale.data());
        assertArrayEquals(saved.head.bias.data(), loaded.head.bias.data());
        assertTrue(weightRef == loaded.weight, "loaded in place");
    }

    @Test
    void loadingIntoMismatchedModuleNamesTheParameter() throws IOException {
        Path p = dir.resolve("tiny.safetensors");
        Checkpoints.save(p, new TinyModule(1, 2, 3));
        TinyModule other = new TinyModule(5, 3, 3);
        float[] before = other.weight.toArray();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(p, other));
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains(p.toString()), e.getMessage());
        assertArrayEquals(before, other.weight.data(), "unchanged on failure");
    }
}
