package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.Tensor;
import ttq.engine.io.SafeTensors;
import ttq.model.metrics.ConllEval;

/** End-to-end training on a small slice of the bundled ATIS copy: outputs, resume bit for bit, errors. */
class TrainCommandTest {
    @TempDir
    static Path corpus;

    @BeforeAll
    static void sliceAtis() throws IOException {
        sliceAtisInto(corpus);
    }

    /** The first 48 / 16 / 16 utterances of the bundled ATIS train / valid / test splits, in ATIS layout under {@code corpus}. */
    static void sliceAtisInto(Path corpus) throws IOException {
        Path atis = Path.of("..", "test-data", "atis");
        int[] sizes = {48, 16, 16};
        String[] splits = {"train", "valid", "test"};
        for (int s = 0; s < 3; s++) {
            Files.createDirectories(corpus.resolve(splits[s]));
            for (String f : List.of("seq.in", "seq.out", "label")) {
                List<String> lines = Files.readAllLines(atis.resolve(splits[s]).resolve(f));
                Files.write(corpus.resolve(splits[s]).resolve(f), lines.subList(0, sizes[s]));
            }
        }
    }

    static MainTest.Result train(Path out, String... extra) {
        return trainOn(corpus, out, extra);
    }

    /** ttq train on {@code corpus}: batch 8, seed 3, INT8, max length 32, plus {@code extra} (later options win). */
    static MainTest.Result trainOn(Path corpus, Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--data", corpus.toString(), "--out", out.toString()));
        String[][] defaults = {{"--batch", "8"}, {"--seed", "3"}, {"--bits", "8"}, {"--max-len", "32"}};
        for (String[] d : defaults) {
            if (!Arrays.asList(extra).contains(d[0])) {
                args.addAll(List.of(d));
            }
        }
        args.addAll(List.of(extra));
        return MainTest.run(args.toArray(new String[0]));
    }

    @Test
    void writesMetricsResultsAndConllevalFiles(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        MainTest.Result r = train(out, "--epochs", "2");
        assertEquals(0, r.code(), r.err());
        assertEquals(3, Files.readAllLines(out.resolve("metrics.csv")).size(), "header + one row per epoch");
        JsonNode res = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        for (String key : List.of("intent_acc", "slot_f1", "frame_acc", "params", "size_mb", "compression", "train_seconds")) {
            assertTrue(res.has(key), key);
        }
        assertTrue(res.get("compression").asDouble() > 20, "a TT INT8 model is far smaller than the dense one");
        List<ConllEval.Sentence> slots = ConllEval.read(out.resolve("test_slots.txt"));
        assertEquals(16, slots.size());
        assertEquals(16, Files.readAllLines(out.resolve("test_intents.txt")).size());
        assertEquals(res.get("slot_f1").asDouble(), ConllEval.evaluateSentences(slots).f1(), 1e-9, "results.json agrees with the file");
        assertEquals("bio", res.get("slot_decoding").asText());
        java.util.Set<String> trainTags = new java.util.HashSet<>(List.of(Files.readString(corpus.resolve("train/seq.out")).split("\\s+")));
        for (ConllEval.Sentence s : slots) {
            for (int i = 0; i < s.predicted().size(); i++) {
                String tag = s.predicted().get(i), prev = i == 0 ? "O" : s.predicted().get(i - 1);
                boolean constrained = tag.startsWith("I-") && trainTags.contains("B-" + tag.substring(2));
                assertTrue(!constrained || prev.equals(tag) || prev.equals("B-" + tag.substring(2)),
                        "BIO decoding never predicts " + tag + " after " + prev);
            }
        }
        r = MainTest.run("eval", "--model", out.resolve("best.safetensors").toString(), "--data", corpus.toString(),
                "--slot-decoding", "argmax", "--out", dir.resolve("argmax").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("argmax", new ObjectMapper().readTree(dir.resolve("argmax/eval.json").toFile()).get("slot_decoding").asText());
        assertEquals(Main.EXIT_USAGE, train(dir.resolve("bad"), "--epochs", "1", "--slot-decoding", "crf").code());
    }

    @Test
    void profileWritesTheTablesAndTraceIntoTheRunFolder(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        MainTest.Result r = train(out, "--epochs", "1", "--profile", "1", "--profile-warmup", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("profile of 1 steps"), r.out());
        assertTrue(Files.readString(out.resolve("profile.md")).contains("| forward | FactoredLinear |"));
        assertTrue(Files.size(out.resolve("trace.json")) > 1000 && Files.exists(out.resolve("profile.csv")));
        MainTest.Result bad = train(dir.resolve("refused"), "--profile", "0");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--profile must be >= 1") && !Files.exists(dir.resolve("refused")), bad.err());
    }

    @Test
    void resumedRunEndsBitForBitLikeAnUninterruptedOne(@TempDir Path dir) throws IOException {
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
        assertEquals(0, train(straight, "--epochs", "2", "--schedule", "linear", "--warmup", "0.5").code());
        assertEquals(0, train(resumed, "--epochs", "2", "--schedule", "linear", "--warmup", "0.5", "--stop-after-epoch", "1").code());
        assertTrue(Files.exists(resumed.resolve("checkpoint.safetensors")) && !Files.exists(resumed.resolve("results.json")));
        MainTest.Result r = train(resumed, "--epochs", "2", "--schedule", "linear", "--warmup", "0.5", "--resume");
        assertEquals(0, r.code(), r.err());
        Map<String, Tensor> a = SafeTensors.readFloats(straight.resolve("checkpoint.safetensors"));
        Map<String, Tensor> b = SafeTensors.readFloats(resumed.resolve("checkpoint.safetensors"));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertTrue(Arrays.equals(a.get(k).data(), b.get(k).data()), "tensor " + k + " differs after resume");
        }
        JsonNode ra = new ObjectMapper().readTree(straight.resolve("results.json").toFile());
        JsonNode rb = new ObjectMapper().readTree(resumed.resolve("results.json").toFile());
        for (String key : List.of("intent_acc", "slot_f1", "frame_acc", "best_epoch")) {
            assertEquals(ra.get(key).asDouble(), rb.get(key).asDouble(), 0.0, key);
        }
        assertEquals(Files.readString(straight.resolve("test_slots.txt")), Files.readString(resumed.resolve("test_slots.txt")));
    }

    @Test
    void constantRateRunsMayGrowTheirEpochsOnResume(@TempDir Path dir) throws IOException {
        Path straight = dir.resolve("straight"), grown = dir.resolve("grown");
        assertEquals(0, train(straight, "--epochs", "2", "--schedule", "constant").code());
        assertEquals(0, train(grown, "--epochs", "1", "--schedule", "constant").code());
        assertEquals(0, train(grown, "--epochs", "2", "--schedule", "constant", "--resume").code());
        assertEquals(Files.readString(straight.resolve("test_slots.txt")), Files.readString(grown.resolve("test_slots.txt")));
        MainTest.Result r = train(dir.resolve("linear"), "--epochs", "1", "--schedule", "linear");
        assertEquals(0, r.code(), r.err());
        r = train(dir.resolve("linear"), "--epochs", "2", "--resume", "--schedule", "linear");
        assertEquals(Main.EXIT_USAGE, r.code(), "the linear schedule depends on --epochs");
        assertTrue(r.err().contains("different settings"), r.err());
    }

    @Test
    void reproduceWritesTableCsvAndPlot(@TempDir Path dir) throws IOException {
        MainTest.Result r = MainTest.run("reproduce", "atis-table2", "--epochs", "1", "--data", corpus.toString(), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        List<String> csv = Files.readAllLines(dir.resolve("atis-table2.csv"));
        assertEquals(6, csv.size(), "header + five Table 2 rows");
        assertTrue(csv.get(1).startsWith("full-size FP32,95.20,"), csv.get(1));
        assertTrue(Files.readString(dir.resolve("atis-table2.md")).contains("| TT INT2 | 93.60 |"));
        byte[] png = Files.readAllBytes(dir.resolve("atis-table2.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG image");
        assertEquals(Main.EXIT_USAGE, MainTest.run("reproduce", "glue-table9").code());
        assertEquals(Main.EXIT_USAGE, MainTest.run("reproduce", "glue-table4", "--tasks", "cola").code());
    }

    @Test
    void reproduceCanTrainSomeRowsAndTabulateTheRest(@TempDir Path dir) throws IOException {
        MainTest.Result r = MainTest.run("reproduce", "atis-table2", "--epochs", "1", "--rows", "tt-int4", "--data", corpus.toString(),
                "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        List<String> csv = Files.readAllLines(dir.resolve("atis-table2.csv"));
        assertEquals(6, csv.size());
        assertTrue(csv.get(4).startsWith("TT INT4,94.30,") && !csv.get(4).contains("not run"), csv.get(4));
        assertTrue(csv.get(1).contains("not run") && csv.get(5).contains("not run"), String.join("\n", csv));
        r = MainTest.run("reproduce", "atis-table2", "--epochs", "2", "--rows", "tt-int8", "--data", corpus.toString(), "--out", dir.toString());
        assertEquals(Main.EXIT_USAGE, r.code(), "a finished 1-epoch row does not pass for a 2-epoch table");
        r = MainTest.run("reproduce", "atis-table2", "--rows", "tt-int3", "--out", dir.toString());
        assertEquals(Main.EXIT_USAGE, r.code());
    }

    @Test
    void reproduceAtAnotherRankKeepsItsOwnRunsAndTable(@TempDir Path dir) throws IOException {
        MainTest.Result r = MainTest.run("reproduce", "atis-table2", "--epochs", "1", "--rank", "3", "--rows", "tt-int2", "--data",
                corpus.toString(), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(dir.resolve("atis-table2-rank3.csv")) && Files.exists(dir.resolve("atis-table2-rank3.png")));
        assertTrue(!Files.exists(dir.resolve("atis-table2.csv")), "the Table 1 files are left alone");
        r = MainTest.run("reproduce", "atis-table2", "--epochs", "1", "--rank", "3", "--embedding-rank", "4", "--rows", "tt-int2",
                "--data", corpus.toString(), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode both = new ObjectMapper().readTree(dir.resolve("atis-table2-rank3-emb4-runs/tt-int2/config.json").toFile());
        assertEquals(3, both.get("rank").asInt());
        assertEquals(4, both.get("embedding-rank").asInt());
        assertTrue(Files.readString(dir.resolve("atis-table2-rank3-emb4.md")).contains("embedding TTM rank 4 where Table 1 has 30"));
        JsonNode config = new ObjectMapper().readTree(dir.resolve("atis-table2-rank3-runs/tt-int2/config.json").toFile());
        assertEquals(3, config.get("rank").asInt());
        assertTrue(Files.readString(dir.resolve("atis-table2-rank3.md")).contains("TT rank 3 where Table 1 has 10"));
        // the same runs under another --rank are refused rather than tabulated as that rank
        Files.move(dir.resolve("atis-table2-rank3-runs"), dir.resolve("atis-table2-rank4-runs"));
        r = MainTest.run("reproduce", "atis-table2", "--epochs", "1", "--rank", "4", "--rows", "tt-int2", "--resume", "--data",
                corpus.toString(), "--out", dir.toString());
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.err().contains("TT rank 3, not 4"), r.err());
        assertEquals(Main.EXIT_USAGE, MainTest.run("reproduce", "atis-table2", "--rank", "0").code());
        assertEquals(Main.EXIT_USAGE, MainTest.run("reproduce", "atis-table2", "--embedding-rank", "0").code());
    }

    @Test
    void usageAndDataErrors(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        assertEquals(0, train(out, "--epochs", "1").code());
        MainTest.Result r = train(out, "--epochs", "1");
        assertEquals(Main.EXIT_USAGE, r.code(), "an existing run is never overwritten without --resume");
        r = train(out, "--epochs", "2", "--resume", "--lr", "0.5");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("different settings"), r.err());
        r = train(dir.resolve("u"), "--unk-replace", "-1");
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        r = MainTest.run("train", "--model", "dense", "--bits", "4", "--data", corpus.toString(), "--out", dir.resolve("x").toString());
        assertEquals(Main.EXIT_USAGE, r.code());
        Path bad = dir.resolve("bad");
        for (String s : List.of("train", "valid", "test")) {
            Files.createDirectories(bad.resolve(s));
            Files.writeString(bad.resolve(s).resolve("seq.in"), "a b\n");
            Files.writeString(bad.resolve(s).resolve("seq.out"), "O\n");
            Files.writeString(bad.resolve(s).resolve("label"), "x\n");
        }
        r = MainTest.run("train", "--data", bad.toString(), "--out", dir.resolve("y").toString());
        assertEquals(Main.EXIT_DATA, r.code());
        assertTrue(r.err().contains("seq.out:1"), r.err());
    }
}
