package ttq.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BioConstrainedDecoderTest {
    private static final List<String> TAGS = List.of("O", "B-fromloc.city_name", "I-fromloc.city_name",
            "B-toloc.city_name", "I-toloc.city_name");

    /** One row's logits: each position puts {@code hi} on its first tag and {@code lo} on its second. */
    private static float[] logits(int[][] picks, float hi, float lo) {
        float[] l = new float[picks.length * TAGS.size()];
        for (int t = 0; t < picks.length; t++) {
            l[t * TAGS.size() + picks[t][0]] = hi;
            l[t * TAGS.size() + picks[t][1]] = lo;
        }
        return l;
    }

    @Test
    void theGrammar() {
        BioConstrainedDecoder d = BioConstrainedDecoder.of(TAGS);
        assertTrue(d.allowedFirst(0));
        assertTrue(d.allowedFirst(1));
        assertFalse(d.allowedFirst(2));
        assertTrue(d.allowed(1, 2));
        assertTrue(d.allowed(2, 2));
        assertFalse(d.allowed(0, 2));
        assertFalse(d.allowed(3, 2)); // I-fromloc after B-toloc changes type midway
        assertTrue(d.allowed(2, 3));
        assertTrue(d.allowed(4, 0));
    }

    @Test
    void aChunkDoesNotChangeTypeMidway() {
        // "salt lake city": argmax says B-toloc I-fromloc I-toloc; the best valid sequence keeps toloc throughout
        float[] l = logits(new int[][] {{3, 1}, {2, 4}, {4, 2}}, 3f, 2.5f);
        int[] out = BioConstrainedDecoder.of(TAGS).decode(l, TAGS.size(), 1, 3, new int[] {3});
        assertArrayEquals(new int[] {3, 4, 4}, out);
        assertArrayEquals(new int[] {3, 2, 4}, SlotDecoding.ARGMAX.decoder(TAGS).decode(l, TAGS.size(), 1, 3, new int[] {3}));
    }

    @Test
    void aLoneInsideTagBecomesItsBestValidAlternative() {
        // O I-toloc: the I cannot follow O; B-toloc is the runner-up
        float[] l = logits(new int[][] {{0, 1}, {4, 3}}, 3f, 2.5f);
        assertArrayEquals(new int[] {0, 3}, SlotDecoding.BIO.decoder(TAGS).decode(l, TAGS.size(), 1, 2, new int[] {2}));
    }

    @Test
    void aValidArgmaxComesBackUnchangedAndPaddingIsArgmaxed() {
        float[] l = new float[2 * 3 * TAGS.size()];
        int[] want = {1, 2, 0, /* row 1, length 1 */ 3, 2, 2};
        for (int i = 0; i < want.length; i++) {
            l[i * TAGS.size() + want[i]] = 5f;
        }
        int[] out = BioConstrainedDecoder.of(TAGS).decode(l, TAGS.size(), 2, 3, new int[] {3, 1});
        assertArrayEquals(want, out);
    }

    @Test
    void badInputIsNamed() {
        BioConstrainedDecoder d = BioConstrainedDecoder.of(TAGS);
        float[] l = new float[2 * TAGS.size()];
        l[TAGS.size() + 1] = Float.NaN;
        ArithmeticException nan = assertThrows(ArithmeticException.class, () -> d.decode(l, TAGS.size(), 1, 2, new int[] {2}));
        assertTrue(nan.getMessage().contains("position 1"), nan.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.decode(l, 4, 1, 2, new int[] {2}));
        assertThrows(IllegalArgumentException.class, () -> d.decode(l, TAGS.size(), 1, 2, new int[] {3}));
        assertThrows(IllegalArgumentException.class, () -> d.decode(l, TAGS.size(), 2, 2, new int[] {2, 2}));
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class, () -> SlotDecoding.parse("crf"));
        assertTrue(name.getMessage().contains("crf"));
        assertEquals(SlotDecoding.BIO, SlotDecoding.parse("BIO"));
    }
}
