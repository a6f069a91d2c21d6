package ttq.model.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.GradMode;
import ttq.engine.Tensor;
import ttq.engine.io.SafeTensorFile;
import ttq.engine.io.SafeTensors;
import ttq.engine.nn.Module;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.Linear;
import ttq.model.data.DataFormatException;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;
import ttq.model.tt.TtmLinear;

class CompactExportTest {
    /** A small model with every kind of quantized tensor-train layer and an unquantized dense head. */
    static final class Tiny extends Module {
        final TtmEmbedding emb;
        final TtLinear tt;
        final TtmLinear ttm;
        final Linear head;

        Tiny(long seed) {
            Random r = new Random(seed);
            emb = module("emb", new TtmEmbedding(30, new int[] {4, 8}, new int[] {4, 6}, 5, r).quantizeWeights(new LearnedScaleQuantizer(2)));
            tt = module("tt", new TtLinear(new int[] {4, 6}, new int[] {6, 4}, 4, true, r).quantizeWeights(new LearnedScaleQuantizer(4)));
            ttm = module("ttm", new TtmLinear(new int[] {3, 4}, new int[] {4, 6}, 3, true, r).quantizeWeights(new LearnedScaleQuantizer(8)));
            head = module("head", new Linear(12, 5, true, r));
        }

        Tensor forward(int[] ids) {
            Tensor h = emb.forward(ids, ids.length);
            return head.forward(ttm.forward(tt.forward(h).tanh()).tanh());
        }
    }

    @Test
    void exportedModelPredictsIdentically(@TempDir Path dir) throws IOException {
        Tiny trained = new Tiny(1);
        int[] ids = {0, 5, 29, 17, 3};
        Tensor expected;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            expected = trained.forward(ids); // also initialises the scales from the cores
        }
        Path file = dir.resolve("model.safetensors");
        CompactExport.write(trained, file);
        Tiny fresh = new Tiny(99);
        CompactExport.load(fresh, file);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertArrayEquals(expected.data(), fresh.forward(ids).data(), "identical predictions");
        }
        SafeTensorFile f = SafeTensors.read(file);
        assertEquals("U8", f.get("emb.core1").dtype().name(), "INT2 cores packed four per byte");
        assertEquals("U8", f.get("tt.core0").dtype().name(), "INT4 cores packed two per byte");
        assertEquals("I8", f.get("ttm.core0").dtype().name());
        assertTrue(f.metadata().get("tt").startsWith("tt out=4,6 in=6,4 ranks=1,4,4,4,1 bits=4"), f.metadata().toString());
        // the data section is exactly the packed cores plus 4 bytes per remaining value
        long expectedData = 0;
        for (var e : trained.stateDict().entrySet()) {
            String n = e.getKey();
            int count = e.getValue().numel();
            if (n.startsWith("emb.core")) {
                expectedData += PackedInts.packedLength(count, 2);
            } else if (n.startsWith("tt.core")) {
                expectedData += PackedInts.packedLength(count, 4);
            } else if (n.startsWith("ttm.core")) {
                expectedData += count;
            } else {
                expectedData += 4L * count;
            }
        }
        long header = 8 + java.nio.ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(expectedData, Files.size(file) - header);
    }

    @Test
    void refusesOtherFilesAndMissingTensors(@TempDir Path dir) throws IOException {
        Path plain = dir.resolve("plain.safetensors");
        SafeTensors.writer().putF32("x", Tensor.ones(1)).write(plain);
        assertThrows(DataFormatException.class, () -> CompactExport.load(new Tiny(1), plain));
        Path partial = dir.resolve("partial.safetensors");
        SafeTensors.writer().metadata("format", "ttq-compact-v1").putF32("x", Tensor.ones(1)).write(partial);
        DataFormatException e = assertThrows(DataFormatException.class, () -> CompactExport.load(new Tiny(1), partial));
        assertTrue(e.getMessage().contains("missing tensor"), e.getMessage());
    }

    @Property(tries = 100)
    void packingRoundTrips(@ForAll("bits") int bits, @ForAll @IntRange(min = 0, max = 200) int count, @ForAll long seed) {
        Random r = new Random(seed);
        int lo = -(1 << (bits - 1)), span = 1 << bits;
        int[] v = new int[count];
        for (int i = 0; i < count; i++) {
            v[i] = lo + r.nextInt(span);
        }
        byte[] packed = PackedInts.pack(v, bits);
        assertEquals((count * bits + 7) / 8, packed.length);
        assertArrayEquals(v, PackedInts.unpack(packed, bits, count));
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<Integer> bits() {
        return net.jqwik.api.Arbitraries.of(2, 4, 8);
    }

    @Test
    void packingRejectsValuesOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> PackedInts.pack(new int[] {2}, 2));
        assertThrows(IllegalArgumentException.class, () -> PackedInts.pack(new int[] {1}, 3));
    }
}
