package ttq.model.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IntentSlotCorpusTest {
    static final Path ATIS = Path.of("..", "test-data", "atis");

    @Test
    void bundledAtisMatchesItsReadmeChecksums() throws Exception {
        String readme = Files.readString(ATIS.resolve("README.md"));
        Matcher m = Pattern.compile("([0-9a-f]{64})  (\\S+)").matcher(readme);
        int checked = 0;
        while (m.find()) {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(ATIS.resolve(m.group(2))));
            assertEquals(m.group(1), HexFormat.of().formatHex(digest), m.group(2));
            checked++;
        }
        assertEquals(9, checked);
    }

    @Test
    void readsAtisSplits() throws IOException {
        assertEquals(4478, IntentSlotCorpus.read(ATIS.resolve("train")).size());
        assertEquals(500, IntentSlotCorpus.read(ATIS.resolve("valid")).size());
        List<Utterance> test = IntentSlotCorpus.read(ATIS.resolve("test"));
        assertEquals(893, test.size());
        for (Utterance u : test) {
            assertEquals(u.tokens().size(), u.tags().size());
        }
    }

    @Test
    void tokenTagMismatchNamesFileAndLine(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("seq.in"), "show flights\nto boston please\n");
        Files.writeString(dir.resolve("seq.out"), "O O\nO B-toloc.city_name\n");
        Files.writeString(dir.resolve("label"), "atis_flight\natis_flight\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> IntentSlotCorpus.read(dir));
        assertTrue(e.getMessage().contains("seq.out:2"), e.getMessage());
        assertTrue(e.getMessage().contains("2 tags for 3 tokens"), e.getMessage());
    }

    @Test
    void otherMalformedInputs(@TempDir Path dir) throws IOException {
        assertThrows(DataFormatException.class, () -> IntentSlotCorpus.read(dir)); // missing files
        Files.writeString(dir.resolve("seq.in"), "a b\n");
        Files.writeString(dir.resolve("seq.out"), "O X-bad\n");
        Files.writeString(dir.resolve("label"), "intent\nextra\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> IntentSlotCorpus.read(dir));
        assertTrue(e.getMessage().contains("line counts differ"), e.getMessage());
        Files.writeString(dir.resolve("label"), "intent\n");
        e = assertThrows(DataFormatException.class, () -> IntentSlotCorpus.read(dir));
        assertTrue(e.getMessage().contains("seq.out:1") && e.getMessage().contains("X-bad"), e.getMessage());
    }
}
