package ttq.model.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JointBatcherTest {

    private static Utterance u(String tokens, String tags, String intent) {
        return new Utterance(Arrays.asList(tokens.split(" ")), Arrays.asList(tags.split(" ")), intent);
    }

    private static final List<Utterance> TRAIN = List.of(
            u("show flights to boston", "O O O B-to", "flight"),
            u("fare to denver", "O O B-to", "airfare"));

    @Test
    void vocabulariesComeFromTrain() {
        JointBatcher b = new JointBatcher(TRAIN, 50);
        assertEquals(List.of("<pad>", "<unk>", "show", "flights", "to", "boston", "fare", "denver"), b.words().names());
        assertEquals(List.of("flight", "airfare"), b.intents().names());
        assertEquals(List.of("O", "B-to"), b.slots().names());
        assertEquals(JointBatcher.PAD_ID, b.words().id("<pad>"));
        assertEquals(JointBatcher.UNK_ID, b.words().id("paris"));
        assertEquals(-1, b.intents().id("atis_day_name"));
        assertEquals(-1, b.slots().id("B-from"));
    }

    @Test
    void rareWordsBecomeUnknownWithProbabilityAlphaOverAlphaPlusCount() {
        JointBatcher jb = new JointBatcher(TRAIN, 50);
        JointBatcher.Batch b = jb.batch(TRAIN);
        int to = jb.words().id("to"), boston = jb.words().id("boston");
        int trials = 20000, toUnk = 0, bostonUnk = 0;
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        for (int t = 0; t < trials; t++) {
            JointBatcher.Batch r = jb.replaceRareWords(b, 1.0, random);
            for (int i = 0; i < b.ids().length; i++) {
                if (b.ids()[i] == to && r.ids()[i] == JointBatcher.UNK_ID) {
                    toUnk++;
                }
                if (b.ids()[i] == boston && r.ids()[i] == JointBatcher.UNK_ID) {
                    bostonUnk++;
                }
                assertTrue(r.ids()[i] == b.ids()[i] || r.ids()[i] == JointBatcher.UNK_ID, "only replacements by <unk>");
                assertEquals(b.ids()[i] == JointBatcher.PAD_ID, r.ids()[i] == JointBatcher.PAD_ID, "pads stay pads");
            }
            assertArrayEquals(b.slots(), r.slots());
        }
        assertEquals(1.0 / 3, toUnk / (2.0 * trials), 0.01, "'to' occurs twice: 1/(1+2)");
        assertEquals(0.5, bostonUnk / (double) trials, 0.01, "'boston' once: 1/(1+1)");
        JointBatcher.Batch again = jb.replaceRareWords(b, 1.0, new java.util.SplittableRandom(9));
        assertArrayEquals(again.ids(), jb.replaceRareWords(b, 1.0, new java.util.SplittableRandom(9)).ids(), "same stream, same batch");
        assertArrayEquals(b.ids(), jb.replaceRareWords(b, 0.0, random).ids(), "alpha 0 replaces nothing");
        assertThrows(IllegalStateException.class, () -> JointBatcher.of(jb.words().names(), jb.intents().names(), jb.slots().names(), 50)
                .replaceRareWords(b, 1.0, random));
    }

    @Test
    void idsMaskAndPaddingLayout() {
        JointBatcher jb = new JointBatcher(TRAIN, 50);
        JointBatcher.Batch b = jb.batch(List.of(TRAIN.get(1), TRAIN.get(0)));
        assertEquals(2, b.batch());
        assertEquals(4, b.length());
        assertArrayEquals(new int[] {6, 4, 7, 0, 2, 3, 4, 5}, b.ids());
        assertArrayEquals(new float[] {1, 1, 1, 0, 1, 1, 1, 1}, b.mask());
        assertArrayEquals(new int[] {1, 0}, b.intents());
        assertArrayEquals(new int[] {0, 0, 1, -100, 0, 0, 0, 1}, b.slots());
        assertArrayEquals(new int[] {3, 4}, b.lengths());
        assertEquals(0, b.truncatedCount());
        assertEquals(List.of("airfare", "flight"), b.goldIntents());
        assertEquals(TRAIN.get(1).tags(), b.goldTags().get(0));
    }

    @Test
    void unknownWordsAndUnseenLabels() {
        JointBatcher jb = new JointBatcher(TRAIN, 50);
        JointBatcher.Batch b = jb.batch(List.of(u("flights to paris on monday", "O O B-to O B-day", "atis_day_name"),
                u("fare to boston", "O O B-to", "airfare")));
        assertArrayEquals(new int[] {3, 4, 1, 1, 1, 6, 4, 5, 0, 0}, b.ids());
        assertArrayEquals(new int[] {-1, 1}, b.intents());
        assertArrayEquals(new int[] {-100, 1}, b.intentLossTargets());
        assertArrayEquals(new int[] {0, 0, 1, 0, -100, 0, 0, 1, -100, -100}, b.slots());
        // the raw labels stay available for metrics
        assertEquals("atis_day_name", b.goldIntents().get(0));
        assertEquals("B-day", b.goldTags().get(0).get(4));
    }

    @Test
    void truncationIsRecordedAndDecodingRestoresFullLength() {
        JointBatcher jb = new JointBatcher(TRAIN, 3);
        JointBatcher.Batch b = jb.batch(List.of(TRAIN.get(0), TRAIN.get(1)));
        assertEquals(3, b.length());
        assertArrayEquals(new int[] {2, 3, 4, 6, 4, 7}, b.ids());
        assertArrayEquals(new int[] {3, 3}, b.lengths());
        assertTrue(b.truncated(0));
        assertFalse(b.truncated(1));
        assertEquals(1, b.truncatedCount());
        List<List<String>> tags = jb.decodeSlots(b, new int[] {0, 0, 1, 0, 0, 1});
        assertEquals(List.of(List.of("O", "O", "B-to", "O"), List.of("O", "O", "B-to")), tags);
        assertEquals(List.of("airfare", "flight"), jb.decodeIntents(new int[] {1, 0}));
        assertThrows(IllegalArgumentException.class, () -> jb.decodeSlots(b, new int[] {0, 0, 2, 0, 0, 0}));
        assertThrows(IllegalArgumentException.class, () -> jb.decodeSlots(b, new int[5]));
        assertThrows(IllegalArgumentException.class, () -> jb.decodeIntents(new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> new JointBatcher(TRAIN, 0));
    }

    private static List<Utterance> numbered(int n) {
        List<Utterance> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(u("w" + i + " x".repeat(i % 4), "O" + " O".repeat(i % 4), "i" + (i % 3)));
        }
        return out;
    }

    private static List<Utterance> order(List<JointBatcher.Batch> batches) {
        List<Utterance> out = new ArrayList<>();
        batches.forEach(b -> out.addAll(b.utterances()));
        return out;
    }

    @Test
    void batchingIsDeterministicForASeed() {
        List<Utterance> split = numbered(23);
        JointBatcher jb = new JointBatcher(split, 50);
        List<JointBatcher.Batch> plain = jb.batches(split, 5, -1);
        assertEquals(5, plain.size());
        assertEquals(List.of(5, 5, 5, 5, 3), plain.stream().map(JointBatcher.Batch::batch).toList());
        assertEquals(split, order(plain));

        List<Utterance> a = order(jb.batches(split, 5, 42)), b = order(jb.batches(split, 5, 42));
        assertEquals(a, b);
        assertNotEquals(split, a);
        assertNotEquals(a, order(jb.batches(split, 5, 43)));
        assertEquals(new HashSet<>(split), new HashSet<>(a));
        // the documented recipe
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < split.size(); i++) {
            idx.add(i);
        }
        Collections.shuffle(idx, new Random(42));
        assertEquals(idx.stream().map(split::get).toList(), a);

        List<JointBatcher.Batch> x = jb.batches(split, 7, 9), y = jb.batches(split, 7, 9);
        for (int i = 0; i < x.size(); i++) {
            assertArrayEquals(x.get(i).ids(), y.get(i).ids());
            assertArrayEquals(x.get(i).slots(), y.get(i).slots());
        }
        assertTrue(jb.batches(List.of(), 4, 1).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> jb.batches(split, 0, -1));
    }

    @Test
    void atisLabelSetsFromTrainOnly() throws IOException {
        List<Utterance> train = IntentSlotCorpus.read(IntentSlotCorpusTest.ATIS.resolve("train"));
        List<Utterance> test = IntentSlotCorpus.read(IntentSlotCorpusTest.ATIS.resolve("test"));
        JointBatcher jb = new JointBatcher(train, 64);
        assertEquals(21, jb.intents().size());
        assertEquals(120, jb.slots().size());
        Set<String> unseenIntents = new HashSet<>(), unseenTags = new HashSet<>();
        int rows = 0;
        for (JointBatcher.Batch b : jb.batches(test, 64, -1)) {
            assertEquals(0, b.truncatedCount());
            for (int r = 0; r < b.batch(); r++, rows++) {
                Utterance u = b.utterances().get(r);
                if (b.intents()[r] == -1) {
                    unseenIntents.add(u.intent());
                }
                for (int t = 0; t < b.lengths()[r]; t++) {
                    if (jb.slots().id(u.tags().get(t)) == -1) {
                        unseenTags.add(u.tags().get(t));
                        assertEquals(JointBatcher.IGNORE_INDEX, b.slots()[r * b.length() + t]);
                    }
                }
            }
        }
        assertEquals(893, rows); // nothing dropped
        assertEquals(Set.of("atis_day_name", "atis_airfare#atis_flight", "atis_flight#atis_airline",
                "atis_flight_no#atis_airline"), unseenIntents);
        // the data README says 7 unseen test tags; the files hold these 6 (checked with sort/comm)
        assertEquals(Set.of("B-booking_class", "B-compartment", "B-flight", "B-stoploc.airport_code",
                "I-flight_number", "I-state_name"), unseenTags);
    }
}
