package ttq.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DropoutTest {
    @Test
    void maskOverSeveralChunksFollowsTheDocumentedStreamsAndRate() {
        int n = 3 * Ops.DROPOUT_CHUNK + 5; // several chunks and an odd tail
        float p = 0.3f;
        Tensor y = Ops.dropout(Tensor.ones(n), p, true, new SplittableRandom(42));
        SplittableRandom caller = new SplittableRandom(42);
        long[] seeds = new long[4];
        for (int c = 0; c < seeds.length; c++) {
            seeds[c] = caller.nextLong();
        }
        float keep = 1f / (1f - p);
        int kept = 0;
        for (int c = 0; c < seeds.length; c++) {
            SplittableRandom r = new SplittableRandom(seeds[c]);
            int to = Math.min(n, (c + 1) * Ops.DROPOUT_CHUNK);
            for (int i = c * Ops.DROPOUT_CHUNK; i < to; i += 2) {
                long bits = r.nextLong();
                assertEquals((bits >>> 40) * 0x1.0p-24f >= p ? keep : 0f, y.data()[i], "element " + i);
                if (i + 1 < to) {
                    assertEquals(((bits >>> 16) & 0xFFFFFF) * 0x1.0p-24f >= p ? keep : 0f, y.data()[i + 1], "element " + (i + 1));
                }
            }
        }
        for (float v : y.data()) {
            kept += v != 0f ? 1 : 0;
        }
        assertTrue(Math.abs(kept / (double) n - (1 - p)) < 0.01, "kept fraction " + kept / (double) n);
    }
}
