package ttq.model.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import ttq.engine.GradMode;
import ttq.engine.Tensor;
import ttq.model.data.GlueTask;

/**
 * The real peer: our encoder's last hidden states equal ONNX Runtime's on the same ONNX file, for
 * 100 GLUE inputs (60 SST-2 dev sentences and 40 MRPC dev pairs, so token types 0 and 1 and
 * padding all occur), tokenized once by {@link BertTokenizer} and fed to both.
 */
class BertEncoderPeerTest {
    static final Path GLUE = Path.of("..", "test-data", "glue");
    static final double TOLERANCE = 1e-3;

    @ParameterizedTest
    @ValueSource(strings = {"minilm", "bge"})
    void lastHiddenStatesEqualOnnxRuntime(String teacher) throws Exception {
        PretrainedBert bert = PretrainedBert.load(teacher);
        BertEncoder encoder = bert.encoder();
        encoder.eval();
        List<GlueTask.Example> examples = new ArrayList<>(GlueTask.SST2.read(GLUE, "dev").subList(0, 60));
        examples.addAll(GlueTask.MRPC.read(GLUE, "dev").subList(0, 40));
        String onnx = teacher.equals("minilm") ? "/all-minilm-l6-v2.onnx" : "/bge-small-en-v1.5.onnx";
        byte[] model;
        try (InputStream in = BertEncoderPeerTest.class.getResourceAsStream(onnx)) {
            assertNotNull(in, onnx + " not on the test class path");
            model = in.readAllBytes();
        }
        double worst = 0;
        int tokens = 0;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (BertTokenizer tok = bert.tokenizer(128); OrtSession session = env.createSession(model, new OrtSession.SessionOptions())) {
            for (int from = 0; from < examples.size(); from += 10) {
                List<GlueTask.Example> batch = examples.subList(from, from + 10);
                BertInput in = tok.batch(batch.stream().map(GlueTask.Example::first).toList(),
                        batch.get(0).second() == null ? null : batch.stream().map(GlueTask.Example::second).toList());
                float[] ours;
                try (GradMode.Scope ignored = GradMode.noGrad()) {
                    Tensor h = encoder.forward(in);
                    assertArrayEquals(new int[] {in.batch(), in.length(), bert.config().hidden()}, h.shape());
                    ours = h.toArray();
                }
                float[] theirs = runOrt(env, session, in);
                assertEquals(theirs.length, ours.length);
                int d = bert.config().hidden();
                for (int i = 0; i < ours.length; i++) {
                    if (in.mask()[i / d] == 1) {
                        worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
                        tokens += i % d == 0 ? 1 : 0;
                    }
                }
            }
        }
        System.out.printf("%s: 100 GLUE inputs, %d tokens, max |ours - onnxruntime| = %.3g%n", teacher, tokens, worst);
        assertTrue(worst <= TOLERANCE, teacher + ": max abs diff " + worst + " > " + TOLERANCE);
        assertTrue(tokens > 1000, "too few tokens compared: " + tokens);
    }

    private static float[] runOrt(OrtEnvironment env, OrtSession session, BertInput in) throws Exception {
        long[] shape = {in.batch(), in.length()};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(longs(in.ids())), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(longs(in.mask())), shape));
            if (session.getInputNames().contains("token_type_ids")) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(longs(in.typeIds())), shape));
            }
            try (OrtSession.Result r = session.run(inputs)) {
                float[][][] h = (float[][][]) r.get(0).getValue();
                int d = h[0][0].length;
                float[] flat = new float[in.batch() * in.length() * d];
                for (int b = 0; b < in.batch(); b++) {
                    for (int t = 0; t < in.length(); t++) {
                        System.arraycopy(h[b][t], 0, flat, (b * in.length() + t) * d, d);
                    }
                }
                return flat;
            }
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }

    private static long[] longs(int[] v) {
        long[] r = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i];
        }
        return r;
    }
}
