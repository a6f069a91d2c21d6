package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken copies of an ATIS-layout corpus and of a GLUE task: each refused (or warned about) in one line naming file and line. */
class BrokenCorpusTest {
    private static Path corpus(Path dir) throws IOException {
        Path c = dir.resolve("corpus");
        TrainCommandTest.sliceAtisInto(c);
        return c;
    }

    private static void assertDataError(MainTest.Result r, String... mentions) {
        assertEquals(Main.EXIT_DATA, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        for (String m : mentions) {
            assertTrue(r.err().contains(m), "'" + m + "' in: " + r.err());
        }
    }

    @Test
    void aLineThatIsNotUtf8NamesFileLineAndByte(@TempDir Path dir) throws IOException {
        Path c = corpus(dir);
        Path seqIn = c.resolve("train").resolve("seq.in");
        List<String> lines = Files.readAllLines(seqIn);
        byte[] before = (String.join("\n", lines.subList(0, 4)) + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] bad = "flights from \u00ff".getBytes(StandardCharsets.ISO_8859_1); // 0xFF: never UTF-8
        byte[] after = ("\n" + String.join("\n", lines.subList(5, lines.size())) + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[before.length + bad.length + after.length];
        System.arraycopy(before, 0, all, 0, before.length);
        System.arraycopy(bad, 0, all, before.length, bad.length);
        System.arraycopy(after, 0, all, before.length + bad.length, after.length);
        Files.write(seqIn, all);
        MainTest.Result r = TrainCommandTest.trainOn(c, dir.resolve("run"), "--epochs", "1");
        assertDataError(r, "seq.in:5: not UTF-8", "0xFF", "byte offset " + (before.length + 13));
        assertFalse(Files.exists(dir.resolve("run")), "refused before the run folder is made");

        Files.write(seqIn, new byte[] {'a', ' ', (byte) 0xFF, (byte) 0xFE, '\n'});
        assertDataError(TrainCommandTest.trainOn(c, dir.resolve("run"), "--epochs", "1"), "seq.in:1: not UTF-8", "0xFF");
    }

    @Test
    void anEmptyTrainOrTestSplitIsRefused(@TempDir Path dir) throws IOException {
        for (String split : List.of("train", "valid", "test")) {
            Path c = corpus(dir.resolve(split));
            for (String f : List.of("seq.in", "seq.out", "label")) {
                Files.write(c.resolve(split).resolve(f), new byte[0]);
            }
            assertDataError(TrainCommandTest.trainOn(c, dir.resolve(split).resolve("run"), "--epochs", "1"),
                    "the " + split + " split is empty");
        }
    }

    @Test
    void overLongUtterancesAreCutWithOneWarningPerSplit(@TempDir Path dir) throws IOException {
        Path c = corpus(dir);
        for (String split : List.of("train", "test")) {
            List<String> in = new ArrayList<>(Files.readAllLines(c.resolve(split).resolve("seq.in")));
            List<String> out = new ArrayList<>(Files.readAllLines(c.resolve(split).resolve("seq.out")));
            in.set(6, String.join(" ", java.util.Collections.nCopies(5000, "boston")));
            out.set(6, String.join(" ", java.util.Collections.nCopies(5000, "B-fromloc.city_name")));
            Files.write(c.resolve(split).resolve("seq.in"), in);
            Files.write(c.resolve(split).resolve("seq.out"), out);
        }
        MainTest.Result r = TrainCommandTest.trainOn(c, dir.resolve("run"), "--epochs", "1");
        assertEquals(0, r.code(), r.err());
        List<String> warnings = r.err().lines().filter(l -> l.startsWith("ttq: warning:")).toList();
        assertEquals(2, warnings.size(), r.err());
        // the slice has one more utterance over 32 tokens in train (34)
        assertTrue(warnings.get(0).contains("train: 2 utterances are longer than 32 tokens (the longest 5000 tokens, seq.in:7) cut to the "
                + "first 32"), warnings.get(0));
        assertTrue(warnings.get(1).contains("test: 1 utterance is longer than 32 tokens (the longest 5000 tokens, seq.in:7)"), warnings.get(1));
    }

    @Test
    void glueFilesThatAreEmptyOrNotUtf8AreRefused(@TempDir Path dir) throws Exception {
        Path teacher = FinetuneCommandTest.teacher(dir), glue = FinetuneCommandTest.glue(dir);
        Path dev = glue.resolve("SST-2").resolve("dev.tsv");
        List<String> lines = Files.readAllLines(dev);
        Files.write(dev, lines.subList(0, 1));
        assertDataError(MainTest.run("finetune", "--task", "sst2", "--teacher", teacher.toString(), "--data", glue.toString(), "--out",
                dir.resolve("r1").toString()), "dev.tsv: no examples");
        Files.write(dev, lines);
        Files.write(glue.resolve("SST-2").resolve("train.tsv"), new byte[] {'s', '\t', 'l', '\n', 'x', (byte) 0xC3, '\t', '1', '\n'});
        assertDataError(MainTest.run("finetune", "--task", "sst2", "--teacher", teacher.toString(), "--data", glue.toString(), "--out",
                dir.resolve("r2").toString()), "train.tsv:2: not UTF-8");
    }
}
