package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.GradMode;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.engine.io.SafeTensors;
import ttq.model.bert.BertInput;
import ttq.model.bert.SavedClassifier;
import ttq.model.bert.SavedStudent;

/**
 * {@code ttq export --format onnx} end to end: a joint model trained on a slice of ATIS scored by
 * ONNX Runtime beside ttq ({@code ttq eval --onnx --compare}), a fine-tuned classifier and a
 * distilled TT INT8 student run by ONNX Runtime beside ttq, and the refusals (unknown kind, missing,
 * corrupt, unwritable destination) with no .onnx left behind.
 */
class OnnxExportCommandTest {
    @TempDir
    static Path dir;
    static Path corpus, run;

    @BeforeAll
    static void trainJoint() throws IOException {
        corpus = dir.resolve("atis");
        TrainCommandTest.sliceAtisInto(corpus);
        run = dir.resolve("run");
        MainTest.Result r = TrainCommandTest.trainOn(corpus, run, "--epochs", "2", "--bits", "8");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void aJointModelScoresTheSameUnderOnnxRuntime() throws IOException {
        Path onnx = dir.resolve("joint.onnx");
        MainTest.Result r = MainTest.run("export", "--format", "onnx", "--checkpoint", run.resolve("best.safetensors").toString(), "--out",
                onnx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("opset 21"), r.out());
        Path compact = dir.resolve("joint.safetensors");
        assertEquals(0, MainTest.run("export", "--checkpoint", run.resolve("best.safetensors").toString(), "--out", compact.toString()).code());
        assertTrue(Files.size(onnx) < 1.5 * Files.size(compact), Files.size(onnx) + " bytes against the compact " + Files.size(compact));

        r = MainTest.run("eval", "--model", run.resolve("best.safetensors").toString(), "--data", corpus.toString(), "--onnx", onnx.toString(),
                "--compare", "--out", dir.resolve("eval").toString());
        assertEquals(0, r.code(), r.err());
        JsonNode agree = new ObjectMapper().readTree(dir.resolve("eval").resolve("eval.json").toFile()).get("agreement").get("onnx_vs_training");
        assertEquals(agree.get("utterances").asInt(), agree.get("identical_intents").asInt(), agree.toString());
        assertEquals(agree.get("tokens").asInt(), agree.get("identical_tags").asInt(), agree.toString());

        r = MainTest.run("eval", "--model", run.resolve("best.safetensors").toString(), "--data", corpus.toString(), "--engine", "onnx");
        assertEquals(Main.EXIT_USAGE, r.code(), "--engine onnx without --onnx");
    }

    @Test
    void classifiersAndStudentsRunTheSameUnderOnnxRuntime() throws Exception {
        Path teacher = FinetuneCommandTest.teacher(dir.resolve("t")), glue = FinetuneCommandTest.glue(dir.resolve("t"));
        Path teacherRun = dir.resolve("teacher-run"), studentRun = dir.resolve("student-run");
        MainTest.Result r = MainTest.run("finetune", "--task", "sst2", "--teacher", teacher.toString(), "--data", glue.toString(), "--epochs", "1",
                "--batch", "8", "--lr", "1e-3", "--out", teacherRun.toString());
        assertEquals(0, r.code(), r.err());
        r = MainTest.run("distill", "--task", "sst2", "--teacher", teacherRun.toString(), "--data", glue.toString(), "--rank", "4",
                "--embedding-rank", "4", "--batch", "8", "--method", "all", "--bits", "8", "--out", studentRun.toString());
        assertEquals(0, r.code(), r.err());
        for (Path file : List.of(teacherRun.resolve("best.safetensors"), studentRun.resolve("student.safetensors"))) {
            Path onnx = dir.resolve(file.getParent().getFileName() + ".onnx");
            r = MainTest.run("export", "--format", "onnx", "--checkpoint", file.toString(), "--out", onnx.toString());
            assertEquals(0, r.code(), r.err());
            boolean student = SavedStudent.isStudent(SafeTensors.readMetadata(file));
            SavedClassifier.Loaded loaded = student ? SavedStudent.load(file) : SavedClassifier.load(file);
            Random random = new Random(5);
            int b = 4, l = 12;
            int[] ids = new int[b * l], types = new int[b * l], mask = new int[b * l];
            for (int u = 0; u < b; u++) {
                for (int t = 0; t < 3 + 3 * u; t++) {
                    ids[u * l + t] = random.nextInt(loaded.info().config().vocab());
                    mask[u * l + t] = 1;
                    types[u * l + t] = t > u + 1 ? 1 : 0;
                }
            }
            float[] ours;
            try (GradMode.Scope ignored = GradMode.noGrad(); StepScope s = StepScope.open()) {
                Tensor logits = loaded.model().forward(new BertInput(ids, types, mask, b, l));
                ours = logits.toArray();
            }
            float[] theirs = ort(onnx, Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types), b, l);
            double worst = 0, largest = 1e-12;
            for (int i = 0; i < ours.length; i++) {
                worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
                largest = Math.max(largest, Math.abs(ours[i]));
            }
            // the student's INT8 QDQ: a value on a rounding boundary may take the neighbouring code (see OnnxExportTest)
            assertTrue(worst / largest < (student ? 2e-2 : 1e-4), file + ": logits differ by " + worst + " (largest " + largest + ")");
            for (int u = 0; u < b; u++) {
                assertEquals(ours[2 * u] > ours[2 * u + 1], theirs[2 * u] > theirs[2 * u + 1], file + " example " + u);
            }
        }
    }

    private static float[] ort(Path model, Map<String, int[]> inputs, int b, int l) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions())) {
            Map<String, OnnxTensor> feed = new java.util.HashMap<>();
            for (var e : inputs.entrySet()) {
                feed.put(e.getKey(), OnnxTensor.createTensor(env, LongBuffer.wrap(Arrays.stream(e.getValue()).asLongStream().toArray()),
                        new long[] {b, l}));
            }
            try (OrtSession.Result r = s.run(feed)) {
                FloatBuffer fb = ((OnnxTensor) r.get("logits").orElseThrow()).getFloatBuffer();
                float[] out = new float[fb.remaining()];
                fb.get(out);
                return out;
            } finally {
                feed.values().forEach(OnnxTensor::close);
            }
        }
    }

    @Test
    void badInputIsOneLineAndLeavesNoFileBehind(@TempDir Path tmp) throws IOException {
        Path best = run.resolve("best.safetensors"), out = tmp.resolve("m.onnx");
        // unknown kind: a safetensors file of another program
        Path other = tmp.resolve("other.safetensors");
        SafeTensors.write(other, Map.of("w", Tensor.zeros(2, 2)), Map.of("format", "pt"));
        assertOneLine(MainTest.run("export", "--format", "onnx", "--checkpoint", other.toString(), "--out", out.toString()), Main.EXIT_DATA,
                "other.safetensors");
        // missing checkpoint
        assertOneLine(MainTest.run("export", "--format", "onnx", "--checkpoint", tmp.resolve("none.safetensors").toString(), "--out",
                out.toString()), Main.EXIT_USAGE, "none.safetensors");
        // corrupt (truncated) checkpoint
        Path cut = tmp.resolve("cut.safetensors");
        byte[] bytes = Files.readAllBytes(best);
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        assertOneLine(MainTest.run("export", "--format", "onnx", "--checkpoint", cut.toString(), "--out", out.toString()), Main.EXIT_DATA,
                "cut.safetensors");
        Files.write(cut, new byte[] {1, 2, 3});
        assertOneLine(MainTest.run("export", "--format", "onnx", "--checkpoint", cut.toString(), "--out", out.toString()), Main.EXIT_DATA,
                "cut.safetensors");
        // destinations that cannot be written: a missing folder, a folder, a wrong extension, an unknown format
        assertOneLine(MainTest.run("export", "--format", "onnx", "--checkpoint", best.toString(), "--out", tmp.resolve("no/such/m.onnx").toString()),
                Main.EXIT_USAGE, "does not exist");
        Files.createDirectories(tmp.resolve("d.onnx"));
        assertOneLine(MainTest.run("export", "--format", "onnx", "--checkpoint", best.toString(), "--out", tmp.resolve("d.onnx").toString()),
                Main.EXIT_USAGE, "folder");
        assertOneLine(MainTest.run("export", "--format", "onnx", "--checkpoint", best.toString(), "--out", tmp.resolve("m.bin").toString()),
                Main.EXIT_USAGE, ".onnx");
        assertOneLine(MainTest.run("export", "--format", "tflite", "--checkpoint", best.toString(), "--out", out.toString()), Main.EXIT_USAGE,
                "--format");
        try (Stream<Path> left = Files.list(tmp)) {
            List<String> names = left.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".onnx") && !n.equals("d.onnx") || n.endsWith(".tmp"))
                    .toList();
            assertTrue(names.isEmpty(), "left behind: " + names);
        }
        // an ONNX file that is not an export
        Path junk = tmp.resolve("junk.onnx");
        Files.write(junk, new byte[] {8, 1, 2, 3});
        assertOneLine(MainTest.run("eval", "--model", best.toString(), "--data", corpus.toString(), "--engine", "onnx", "--onnx", junk.toString()),
                Main.EXIT_DATA, "junk.onnx");
    }

    private static void assertOneLine(MainTest.Result r, int code, String mentions) {
        assertEquals(code, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(mentions), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }
}
