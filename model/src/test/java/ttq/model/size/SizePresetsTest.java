package ttq.model.size;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The paper presets: hand-computed totals and self-consistency (rows sum to the totals). */
class SizePresetsTest {
    static void selfConsistent(SizeReport r) {
        long params = 0, bias = 0, q = 0, dense = 0, denseBytes = 0;
        double flops = 0, denseFlops = 0;
        for (LayerCost c : r.layers()) {
            params += c.params();
            bias += c.biasParams();
            q += c.quantizedParams();
            dense += c.denseParams();
            denseBytes += c.denseBytes();
            flops += c.flops();
            denseFlops += c.denseFlops();
        }
        assertEquals(params, r.params());
        assertEquals(bias, r.biasParams());
        assertEquals(params + bias, r.totalParams());
        assertEquals(q, r.quantizedParams());
        assertEquals(dense, r.denseParams());
        assertEquals(4 * dense, r.denseBytes());
        assertEquals(denseBytes, r.denseBytes());
        assertEquals(flops, r.flops(), 1e-9 * flops);
        assertEquals(denseFlops, r.denseFlops(), 1e-9 * denseFlops);
        double groupFlops = 0;
        for (String g : r.groups()) {
            groupFlops += r.flops(g);
        }
        assertEquals(flops, groupFlops, 1e-9 * flops);
        for (Precision p : Precision.values()) {
            long bytes = 0;
            double qf = 0;
            for (LayerCost c : r.layers()) {
                bytes += c.bytes(p);
                qf += c.quantizedFlops(p);
            }
            assertEquals(bytes, r.bytes(p), p.toString());
            assertEquals(qf, r.quantizedFlops(p), 1e-9 * qf, p.toString());
            assertEquals((double) r.denseBytes() / bytes, r.compression(p), 1e-12);
        }
        assertEquals(4 * r.totalParams(), r.bytes(Precision.FP32), "FP32 stores every parameter in 4 bytes");
        assertTrue(r.bytes(Precision.INT2) < r.bytes(Precision.INT4) && r.bytes(Precision.INT4) < r.bytes(Precision.INT8)
                && r.bytes(Precision.INT8) < r.bytes(Precision.FP32) && r.bytes(Precision.FP32) < r.denseBytes());
        assertTrue(r.flops() < r.denseFlops());
    }

    @Test
    void atisTotals() {
        ModelSpec spec = SizePresets.atisTable1();
        assertEquals(768, spec.tokens());
        SizeReport r = SizeReport.of(spec);
        selfConsistent(r);
        // quantized cores: TTM embedding 47490 + 8 attention x 6880 + 2 up x 10320 + 2 down x 8160
        assertEquals(139_490, r.quantizedParams());
        // FP32: positions 64x768, LayerNorms 5 x 1536, encoder biases 2 x 6912, two FP32 TT heads (6880 + 768 each),
        // dense heads 768x26+26 and 768x130+130
        long fp32 = 64 * 768 + 5 * 1536 + 2 * 6912 + 2 * (6880 + 768) + (768 * 26 + 26) + (768 * 130 + 130);
        assertEquals(205_916, fp32);
        assertEquals(139_490 + fp32, r.totalParams());
        assertEquals(16_141_980, r.denseParams());
        assertEquals(4L * (139_490 + fp32), r.bytes(Precision.FP32));
        long scales = 4 * 13; // one per quantized layer copy: embedding, 8 attention, 2 up, 2 down
        assertEquals(139_490 + scales + 4 * fp32, r.bytes(Precision.INT8));
        assertEquals(139_490 / 2 + scales + 4 * fp32, r.bytes(Precision.INT4));
        assertEquals(34_873 + scales + 4 * fp32, r.bytes(Precision.INT2)); // per-core ceil(n / 4), see LayerSizeTest
        assertEquals(r.quantizedFlops(Precision.INT8), r.flops(), 1e-9 * r.flops());
        assertTrue(r.quantizedFlops(Precision.INT2) < r.quantizedFlops(Precision.INT4));
    }

    @Test
    void bertTotals() {
        SizeReport r50 = SizeReport.of(SizePresets.bertBaseTable3(50));
        SizeReport r30 = SizeReport.of(SizePresets.bertBaseTable3(30));
        selfConsistent(r50);
        selfConsistent(r30);
        assertEquals(128, r50.tokens());
        // dense BERT-base: 30522 x 768 tokens, 512 + 2 rows of positions/types, LN, 12 blocks, pooler, 768 -> 2
        long block = 4 * (768 * 768 + 768) + (768 * 3072 + 3072) + (3072 * 768 + 768) + 2 * 1536;
        long dense = 30522L * 768 + 514 * 768 + 1536 + 12 * block + (768 * 768 + 768) + (768 * 2 + 2);
        assertEquals(dense, r50.denseParams());
        // the TTM embedding at rank 50: 1x8x8x50 + 50x10x8x50 + 50x20x4x50 + 50x20x3x1
        assertEquals(3200 + 200_000 + 200_000 + 3000, r50.layers().get(0).params());
        assertTrue(r30.bytes(Precision.INT4) < r50.bytes(Precision.INT4));
        assertTrue(r30.flops() < r50.flops());
        double encoderDense = 12 * 2.0 * 128 * (4 * 768 * 768 + 2 * 768 * 3072);
        assertEquals(encoderDense, r50.denseFlops("encoder"), 1e-9 * encoderDense);
    }

    @Test
    void presetLookup() {
        assertEquals(SizePresets.atisTable1(), SizePresets.get("atis-table1", 1));
        assertEquals(SizePresets.bertBaseTable3(30), SizePresets.get("bert-base-table3", 30));
        assertTrue(SizePresets.isPreset("bert-base-table3"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SizePresets.get("bert", 50));
        assertTrue(e.getMessage().contains("atis-table1"), e.getMessage());
    }
}
