package ttq.model.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hugging Face's tokenization of all-MiniLM-L6-v2's tokenizer.json (uncased BERT WordPiece). */
class BertTokenizerTest {
    static byte[] json;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = BertTokenizerTest.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            json = in.readAllBytes();
        }
    }

    private static BertTokenizer tokenizer(int max) throws IOException {
        return BertTokenizer.read(new ByteArrayInputStream(json), "tokenizer.json", max);
    }

    @Test
    void lowerCasesStripsAccentsAndSplitsPunctuation() throws IOException {
        try (BertTokenizer t = tokenizer(128)) {
            // bert-base-uncased WordPiece ids: [CLS] hello , world ! cafe deja vu . [SEP] (accents stripped)
            BertTokenizer.Encoded e = t.encode("Hello, World! Café déjà vu.", null);
            assertArrayEquals(new int[] {101, 7592, 1010, 2088, 999, 7668, 2139, 3900, 24728, 1012, 102}, e.ids());
            assertArrayEquals(new int[11], e.typeIds());
        }
    }

    @Test
    void pairsGetTokenTypeOneAfterTheFirstSeparator() throws IOException {
        try (BertTokenizer t = tokenizer(128)) {
            BertTokenizer.Encoded e = t.encode("a cat", "the dog");
            assertArrayEquals(new int[] {101, 1037, 4937, 102, 1996, 3899, 102}, e.ids());
            assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1}, e.typeIds());
        }
    }

    @Test
    void truncatesToTheMaximumLengthKeepingSpecialTokens() throws IOException {
        try (BertTokenizer t = tokenizer(8)) {
            BertTokenizer.Encoded e = t.encode("one two three four five six seven eight nine ten", null);
            assertEquals(8, e.ids().length);
            assertEquals(101, e.ids()[0]);
            assertEquals(102, e.ids()[7]);
            BertTokenizer.Encoded p = t.encode("one two three four five six", "seven eight nine ten eleven");
            assertEquals(8, p.ids().length);
            assertEquals(102, p.ids()[7]);
        }
    }

    @Test
    void batchesPadWithZerosAndMaskThem() throws IOException {
        try (BertTokenizer t = tokenizer(128)) {
            BertInput in = t.batch(List.of("a cat", "the dog sat on the mat"), null);
            assertEquals(2, in.batch());
            assertEquals(8, in.length());
            assertArrayEquals(new int[] {1, 1, 1, 1, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(in.mask(), 0, 8));
            assertArrayEquals(new int[] {101, 1037, 4937, 102, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(in.ids(), 0, 8));
        }
    }

    @Test
    void aBrokenTokenizerFileIsAnErrorNamingIt() {
        IOException e = assertThrows(IOException.class,
                () -> BertTokenizer.read(new ByteArrayInputStream("{not json".getBytes(StandardCharsets.UTF_8)), "broken.json", 16));
        assertTrue(e.getMessage().startsWith("broken.json"), e.getMessage());
    }
}
