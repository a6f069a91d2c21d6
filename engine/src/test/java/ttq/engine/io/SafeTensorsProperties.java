package ttq.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import ttq.engine.Shape;
import ttq.engine.Tensor;

class SafeTensorsProperties {
    private static Path dir;

    @BeforeContainer
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("safetensors-properties");
    }

    @AfterContainer
    static void deleteDir() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static Path path() {
        return dir.resolve("p.safetensors");
    }

    // ------------------------------------------------------------------ generators

    static Arbitrary<String> names() {
        // Quotes, backslashes and non-ASCII exercise JSON escaping and UTF-8 lengths.
        return Arbitraries.strings().withCharRange('a', 'z').withChars("._09 \"\\é中\u0001").ofMaxLength(10)
                .filter(n -> !n.equals(SafeTensorsHeader.METADATA_KEY));
    }

    static Arbitrary<int[]> shapes() {
        return Arbitraries.integers().between(0, 4).array(int[].class).ofMaxSize(4);
    }

    static Arbitrary<Float> anyFloat() {
        return Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.integers().map(Float::intBitsToFloat)),
                Tuple.of(2, Arbitraries.floats()),
                Tuple.of(2, Arbitraries.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f,
                        Float.MIN_VALUE, -Float.MAX_VALUE, Float.intBitsToFloat(0x7F80_0001), Float.intBitsToFloat(0xFFC1_2345))));
    }

    @Provide
    Arbitrary<Map<String, Tensor>> floatTensorMaps() {
        Arbitrary<Tensor> tensor = shapes().flatMap(s -> anyFloat().array(float[].class).ofSize(Shape.numel(s)).map(v -> Tensor.wrap(v, s)));
        return Arbitraries.maps(names(), tensor).ofMaxSize(6);
    }

    static Arbitrary<Map<String, SafeTensorEntry>> entryMaps(DType... dtypes) {
        Arbitrary<Function<String, SafeTensorEntry>> maker = Combinators.combine(Arbitraries.of(dtypes), shapes()).flatAs((d, s) ->
                Arbitraries.bytes().array(byte[].class).ofSize(Shape.numel(s) * d.byteSize())
                        .map(b -> (Function<String, SafeTensorEntry>) name -> SafeTensorEntry.of(name, d, longs(s), b)));
        return Arbitraries.maps(names(), maker).ofMaxSize(6).map(m -> {
            Map<String, SafeTensorEntry> out = new LinkedHashMap<>();
            m.forEach((n, f) -> out.put(n, f.apply(n)));
            return out;
        });
    }

    @Provide
    Arbitrary<Map<String, SafeTensorEntry>> writableEntries() {
        return entryMaps(DType.F32, DType.I64, DType.I8, DType.U8);
    }

    @Provide
    Arbitrary<Map<String, SafeTensorEntry>> allEntries() {
        return entryMaps(DType.values());
    }

    /** Valid files whose data section is not empty, so that any truncation must be detected. */
    @Provide
    Arbitrary<byte[]> validFiles() {
        Arbitrary<SafeTensorEntry> nonEmpty = Combinators.combine(Arbitraries.of(DType.values()), Arbitraries.integers().between(1, 5))
                .flatAs((d, n) -> Arbitraries.bytes().array(byte[].class).ofSize(n * d.byteSize())
                        .map(b -> SafeTensorEntry.of("last", d, new long[] {n}, b)));
        return Combinators.combine(allEntries(), nonEmpty).as((m, e) -> {
            Map<String, SafeTensorEntry> all = new TreeMap<>(m);
            all.put(e.name(), e);
            return bytesOf(all.values(), true);
        });
    }

    @Provide
    Arbitrary<byte[]> truncatedFiles() {
        return validFiles().flatMap(b -> Arbitraries.integers().between(0, b.length - 1).map(n -> Arrays.copyOf(b, n)));
    }

    /** A valid file with 1 to 4 bytes of its length prefix or header XORed with random masks. */
    @Provide
    Arbitrary<byte[]> headerFlips() {
        return validFiles().flatMap(b -> {
            int headerEnd = (int) (8 + ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
            // Mostly inside the JSON; the length prefix is small but gets its share too.
            Arbitrary<Integer> position = Arbitraries.frequencyOf(
                    Tuple.of(1, Arbitraries.integers().between(0, 7)),
                    Tuple.of(4, Arbitraries.integers().between(8, headerEnd - 1))).withoutEdgeCases();
            Arbitrary<int[]> flip = Combinators.combine(position,
                    Arbitraries.integers().between(1, 255)).as((pos, mask) -> new int[] {pos, mask});
            return flip.list().ofMinSize(1).ofMaxSize(4).map(flips -> {
                byte[] c = b.clone();
                for (int[] f : flips) {
                    c[f[0]] ^= (byte) f[1];
                }
                return c;
            });
        });
    }

    /** JSON-like noise: the characters a header is made of, so the parser gets past its first byte. */
    @Provide
    Arbitrary<byte[]> jsonishFiles() {
        Arbitrary<String> header = Arbitraries.strings().withChars("{}[]\":, -0123456789.eFIU8BdtypeshapdaofsIN_m").ofMaxLength(120);
        Arbitrary<String> structured = Combinators.combine(names(), Arbitraries.of("F32", "I64", "U8", "F16", "X"),
                Arbitraries.integers().between(-3, 5).list().ofMaxSize(3), Arbitraries.integers().between(-4, 40).list().ofMaxSize(3))
                .as((n, d, s, o) -> "{" + SafeTensorsTest.entry(n.replace("\\", "").replace("\"", ""), d, s.toString(),
                        o.isEmpty() ? 0 : o.get(0), o.size() < 2 ? 0 : o.get(1)) + "}");
        return Combinators.combine(Arbitraries.oneOf(header, structured), Arbitraries.bytes().array(byte[].class).ofMaxSize(40))
                .as(SafeTensorsTest::fixture);
    }

    // ------------------------------------------------------------------ helpers

    static long[] longs(int[] s) {
        return Arrays.stream(s).asLongStream().toArray();
    }

    static int[] ints(long[] s) {
        return Arrays.stream(s).mapToInt(Math::toIntExact).toArray();
    }

    /** Writes entries with the typed put methods (or as raw entries when raw) and returns the file's bytes. */
    static byte[] bytesOf(Iterable<SafeTensorEntry> entries, boolean raw) {
        SafeTensorsWriter w = SafeTensors.writer();
        for (SafeTensorEntry e : entries) {
            if (raw) {
                w.put(e);
                continue;
            }
            int[] s = e.intShape();
            switch (e.dtype()) {
                case F32 -> w.putF32(e.name(), e.toFloatArray(), s);
                case I64 -> w.putI64(e.name(), e.toLongArray(), s);
                case I8 -> w.putI8(e.name(), rawBytes(e), s);
                case U8 -> w.putU8(e.name(), rawBytes(e), s);
                default -> throw new AssertionError(e);
            }
        }
        try {
            w.write(path());
            return Files.readAllBytes(path());
        } catch (IOException ex) {
            throw new AssertionError(ex);
        }
    }

    static byte[] rawBytes(SafeTensorEntry e) {
        ByteBuffer b = e.data();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    static Map<String, SafeTensorEntry> byName(SafeTensorFile f) {
        Map<String, SafeTensorEntry> m = new LinkedHashMap<>();
        f.entries().forEach(e -> m.put(e.name(), e));
        return m;
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 300)
    void f32RoundTripIsBitExact(@ForAll("floatTensorMaps") Map<String, Tensor> tensors) throws IOException {
        SafeTensors.write(path(), tensors);
        Map<String, Tensor> back = SafeTensors.readFloats(path());
        assertEquals(new ArrayList<>(new TreeMap<>(tensors).keySet()), new ArrayList<>(back.keySet()), "file order is name order");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = back.get(e.getKey());
            assertArrayEquals(e.getValue().shape(), t.shape(), e.getKey());
            for (int i = 0; i < t.numel(); i++) {
                assertEquals(Float.floatToRawIntBits(e.getValue().data()[i]), Float.floatToRawIntBits(t.data()[i]), e.getKey() + "[" + i + "]");
            }
        }
        SafeTensorFile f = SafeTensors.read(path());
        f.entries().forEach(e -> assertEquals(DType.F32, e.dtype()));
        assertEquals(tensors.size(), f.entries().size());
    }

    @Property(tries = 300)
    void typedPutsRoundTrip(@ForAll("writableEntries") Map<String, SafeTensorEntry> entries) throws IOException {
        bytesOf(entries.values(), false);
        SafeTensorFile f = SafeTensors.read(path());
        assertEquals(entries, byName(f));
        for (SafeTensorEntry e : f.entries()) {
            if (e.dtype().isInteger()) {
                long[] v = e.toLongArray();
                float[] fl = e.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    assertEquals((float) v[i], fl[i]);
                }
                if (e.dtype() == DType.U8) {
                    assertTrue(Arrays.stream(v).allMatch(x -> x >= 0 && x <= 255));
                }
            }
        }
    }

    @Property(tries = 300)
    void rawEntriesOfEveryDtypeRoundTrip(@ForAll("allEntries") Map<String, SafeTensorEntry> entries) throws IOException {
        bytesOf(entries.values(), true);
        SafeTensorFile f = SafeTensors.read(path());
        assertEquals(entries, byName(f));
        Map<String, Tensor> floats = SafeTensors.readFloats(path());
        for (SafeTensorEntry e : f.entries()) {
            Tensor t = floats.get(e.name());
            assertArrayEquals(ints(e.shape()), t.shape());
            float[] want = e.toFloatArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(t.data()[i]), e.name() + "[" + i + "]");
            }
        }
    }

    @Property(tries = 500)
    void everyTruncationIsAFormatError(@ForAll("truncatedFiles") byte[] truncated) throws IOException {
        Files.write(path(), truncated);
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(path()));
        assertTrue(e.getMessage().startsWith(path() + ": "), e.getMessage());
        assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.readFloats(path()));
    }

    @Property(tries = 1000)
    void corruptHeadersFailOnlyWithFormatErrors(@ForAll("headerFlips") byte[] content) throws IOException {
        readEitherWayOrFormatError(content);
    }

    @Property(tries = 1000)
    void noiseFailsOnlyWithFormatErrors(@ForAll("jsonishFiles") byte[] content) throws IOException {
        readEitherWayOrFormatError(content);
    }

    @Property(tries = 300)
    void randomBytesFailOnlyWithFormatErrors(@ForAll byte[] content) throws IOException {
        readEitherWayOrFormatError(content);
    }

    /** Reading must succeed or throw SafeTensorsFormatException; any other throwable fails the property. */
    private static void readEitherWayOrFormatError(byte[] content) throws IOException {
        Files.write(path(), content);
        SafeTensorFile f = null;
        try {
            f = SafeTensors.read(path());
        } catch (SafeTensorsFormatException expected) {
            assertTrue(expected.getMessage().startsWith(path() + ": "), expected.getMessage());
        }
        try {
            Map<String, Tensor> floats = SafeTensors.readFloats(path());
            assertTrue(f != null, "readFloats accepted what read refused");
            assertEquals(new ArrayList<>(f.names()), new ArrayList<>(floats.keySet()));
        } catch (SafeTensorsFormatException expected) {
            // A header that read() accepts can still be refused for float conversion (huge dimensions).
        }
    }

    @Property(tries = 50)
    void headerIsUtf8JsonPaddedToEightBytes(@ForAll("writableEntries") Map<String, SafeTensorEntry> entries) {
        byte[] b = bytesOf(entries.values(), false);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, n % 8);
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{") && header.stripTrailing().endsWith("}"), header);
        List<String> tail = List.of(header.substring(header.stripTrailing().length()).split(""));
        assertTrue(tail.stream().allMatch(c -> c.isEmpty() || c.equals(" ")), "padding is spaces");
    }
}
