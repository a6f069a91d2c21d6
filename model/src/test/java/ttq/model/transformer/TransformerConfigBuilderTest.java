package ttq.model.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import ttq.model.bert.BertStudent;

class TransformerConfigBuilderTest {
    @Test
    void defaultsAreTable1() {
        for (int vocab : new int[] {800, 869, 1500}) {
            TransformerConfig built = TransformerConfig.builder().vocab(vocab).intents(21).slots(120).build();
            assertEquals(TransformerConfigJson.write(TransformerConfig.atisTable1(vocab, 21, 120, "tt", 8, 64, 0.1f)),
                    TransformerConfigJson.write(built), "vocab " + vocab);
        }
        TransformerConfig dense = TransformerConfig.builder().vocab(869).intents(21).slots(120).format("dense").bits(32).maxLength(40)
                .dropout(0.2f).build();
        assertEquals(TransformerConfigJson.write(TransformerConfig.atisTable1(869, 21, 120, "dense", 32, 40, 0.2f)),
                TransformerConfigJson.write(dense));
    }

    @Test
    void otherWidthsGetBalancedModesThatFit() {
        TransformerConfig c = TransformerConfig.builder().vocab(5000).intents(10).slots(30).hidden(96).heads(6).ffn(384).layers(1).build();
        assertArrayEquals(new int[] {8, 12}, c.attnOutModes());
        assertArrayEquals(new int[] {12, 8}, c.attnInModes());
        assertArrayEquals(new int[] {16, 24}, c.ffnOutModes());
        int rows = 1;
        for (int m : c.embeddingRowModes()) {
            rows *= m;
        }
        assertTrue(rows >= 5000, "the embedding's rows cover the vocabulary: " + rows);
        assertEquals(c.embeddingRowModes().length, c.embeddingColModes().length);
        new JointIntentSlotModel(c, 1); // and the model builds
    }

    @Test
    void errorsNameTheField() {
        assertEquals("vocab is required", assertThrows(IllegalArgumentException.class,
                () -> TransformerConfig.builder().intents(2).slots(3).build()).getMessage());
        assertEquals("hidden must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> TransformerConfig.builder().vocab(10).intents(2).slots(3).hidden(0).build()).getMessage());
        assertEquals("heads: 5 does not divide hidden 768", assertThrows(IllegalArgumentException.class,
                () -> TransformerConfig.builder().vocab(10).intents(2).slots(3).heads(5).build()).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TransformerConfig.builder().vocab(10).intents(2).slots(3).bits(3).build())
                .getMessage().contains("bits"));
    }

    @Test
    void studentSpecBuilderDefaultsToTheTable4Student() {
        assertEquals(new BertStudent.Spec(BertStudent.Kind.TT, 30, 8, 30, true, false, 0), BertStudent.Spec.builder().build());
        assertEquals(new BertStudent.Spec(BertStudent.Kind.XTC, 30, 32, 30, true, true, 3),
                BertStudent.Spec.builder().kind(BertStudent.Kind.XTC).bits(32).binary(true).layers(3).build());
        assertThrows(IllegalArgumentException.class, () -> BertStudent.Spec.builder().bits(5).build());
    }

    /** Checkpoints and compact files written before the embedding kind existed have no "embedding" key: they read as the format's default. */
    @Test
    void configurationsWithoutTheEmbeddingKindReadAsTheFormatsDefault() throws Exception {
        for (String format : new String[] {"tt", "dense"}) {
            TransformerConfig c = TransformerConfig.atisTable1(869, 21, 120, format, format.equals("tt") ? 8 : 32, 64, 0.1f);
            com.fasterxml.jackson.databind.node.ObjectNode json = (com.fasterxml.jackson.databind.node.ObjectNode)
                    new com.fasterxml.jackson.databind.ObjectMapper().readTree(TransformerConfigJson.write(c));
            assertTrue(json.has("embedding"));
            json.remove("embedding");
            TransformerConfig old = TransformerConfigJson.read(json.toString(), "old.safetensors");
            assertEquals(format.equals("tt") ? "ttm" : "dense", old.embedding());
            assertEquals(TransformerConfigJson.write(c), TransformerConfigJson.write(old));
        }
    }
}
