package ttq.tools;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import ttq.model.data.DataFormatException;

/**
 * A joint intent/slot model exported to ONNX ({@code ttq export --format onnx}) run by ONNX
 * Runtime on the CPU: padded batches of word ids in, intent and slot logits out. The reference
 * engine users deploy with, run beside ttq's own in {@code ttq eval} and {@code ttq bench infer}.
 */
public final class OnnxJointModel implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final Path file;

    private OnnxJointModel(Path file, OrtSession session) {
        this.file = file;
        this.session = session;
    }

    /** Opens an exported joint model with ONNX Runtime on {@code threads} intra-op threads (all optimizations on). */
    public static OnnxJointModel open(Path file, int threads) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new UsageException("--onnx " + file + ": no such file");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            OrtSession s = env.createSession(file.toString(), o);
            if (!s.getInputNames().containsAll(java.util.List.of("input_ids", "attention_mask"))
                    || !s.getOutputNames().containsAll(java.util.List.of("intent_logits", "slot_logits"))) {
                s.close();
                throw new DataFormatException(file + ": not a joint intent/slot model export (inputs " + s.getInputNames() + ", outputs "
                        + s.getOutputNames() + ")");
            }
            return new OnnxJointModel(file, s);
        } catch (OrtException e) {
            throw new DataFormatException(file + ": ONNX Runtime cannot load it (" + e.getMessage() + ")");
        }
    }

    /** A metadata value of the file, or null. */
    public String metadata(String key) throws IOException {
        try {
            return session.getMetadata().getCustomMetadata().get(key);
        } catch (OrtException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Intent logits [b, intents] and slot logits [b, l, slots] for ids and mask [b, l] (0 = padding). */
    public float[][] logits(int[] ids, float[] mask, int b, int l) throws IOException {
        long[] id = new long[b * l], m = new long[b * l];
        for (int i = 0; i < id.length; i++) {
            id[i] = ids[i];
            m[i] = mask[i] != 0f ? 1 : 0;
        }
        long[] shape = {b, l};
        try (OnnxTensor idT = OnnxTensor.createTensor(env, LongBuffer.wrap(id), shape);
             OnnxTensor maskT = OnnxTensor.createTensor(env, LongBuffer.wrap(m), shape);
             OrtSession.Result r = session.run(Map.of("input_ids", idT, "attention_mask", maskT))) {
            return new float[][] {floats(r, "intent_logits"), floats(r, "slot_logits")};
        } catch (OrtException e) {
            throw new IOException(file + ": ONNX Runtime failed (" + e.getMessage() + ")", e);
        }
    }

    private static float[] floats(OrtSession.Result r, String name) {
        FloatBuffer fb = ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
