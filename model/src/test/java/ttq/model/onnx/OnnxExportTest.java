package ttq.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import ttq.engine.GradMode;
import ttq.engine.Ops;
import ttq.engine.StepScope;
import ttq.engine.optim.Adam;
import ttq.model.bert.BertConfig;
import ttq.model.bert.BertEncoder;
import ttq.model.bert.BertInput;
import ttq.model.bert.BertStudent;
import ttq.model.bert.Pooling;
import ttq.model.bert.SequenceClassifier;
import ttq.model.onnx.proto.Onnx;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;

/**
 * Trained small models of every kind exported to ONNX and run by ONNX Runtime beside ttq's own
 * forward (evaluation mode) on a batch of padded utterances of different lengths.
 *
 * <p>FP32 graphs compute what ttq computes in another order: logits agree within 1e-4 of the
 * largest logit. Quantized graphs carry the same codes and scales, but a value that lands within
 * float rounding of a rounding boundary can take the neighbouring code in one of the two, which
 * moves later values by one quantization step; logits then agree within 2% of the largest logit
 * (measured: below 0.1%) and every prediction (intent per utterance, slot tag per real token, class
 * per example) is the same.
 */
class OnnxExportTest {
    private static final int[] LENGTHS = {5, 1, 16, 9, 3, 12, 7, 16};
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    static TransformerConfig small(String format, int bits) {
        return new TransformerConfig(20, 24, 2, 2, 48, 16, 0.1f, 3, 5, format, bits, 3, 4,
                new int[] {4, 6}, new int[] {6, 4}, new int[] {6, 8}, new int[] {6, 4}, new int[] {4, 5}, new int[] {4, 6},
                bits != 32, bits != 32);
    }

    /** A small joint model trained 40 steps on a fixed random batch (so that its scales and weights moved from their start). */
    static JointIntentSlotModel trained(TransformerConfig c, long seed) {
        JointIntentSlotModel m = new JointIntentSlotModel(c, seed);
        Random r = new Random(seed);
        int b = 8, l = c.maxLength();
        int[] ids = new int[b * l], slots = new int[b * l], intents = new int[b];
        float[] mask = new float[b * l];
        for (int u = 0; u < b; u++) {
            intents[u] = r.nextInt(c.intents());
            int len = 1 + r.nextInt(l);
            for (int t = 0; t < l; t++) {
                boolean real = t < len;
                ids[u * l + t] = real ? 1 + r.nextInt(c.vocab() - 1) : 0;
                mask[u * l + t] = real ? 1f : 0f;
                slots[u * l + t] = real ? r.nextInt(c.slots()) : -100;
            }
        }
        Adam opt = new Adam(m.parameters(), 3e-3f, 0.9f, 0.98f, 1e-8f, 0f);
        m.train(true);
        for (int step = 0; step < 40; step++) {
            m.reseedDropout(seed, 0, step);
            try (StepScope s = StepScope.open()) {
                opt.zeroGrad();
                m.loss(m.forward(ids, mask, b, l), intents, slots).backward();
                opt.step();
            }
        }
        m.eval();
        return m;
    }

    private record Batch(long[] ids, long[] mask, int b, int l) {
    }

    private static Batch batch(int vocab, long seed) {
        Random r = new Random(seed);
        int b = LENGTHS.length, l = 16;
        long[] ids = new long[b * l], mask = new long[b * l];
        for (int u = 0; u < b; u++) {
            for (int t = 0; t < LENGTHS[u]; t++) {
                ids[u * l + t] = 1 + r.nextInt(vocab - 1);
                mask[u * l + t] = 1;
            }
        }
        return new Batch(ids, mask, b, l);
    }

    private static int[] ints(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (int) v[i];
        }
        return out;
    }

    /** ONNX Runtime's outputs for the named inputs, in the order asked. */
    static float[][] ort(byte[] model, Map<String, long[]> inputs, long[] shape, String... outputs) throws OrtException {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = ENV.createSession(model, o)) {
                Map<String, OnnxTensor> feed = new HashMap<>();
                try {
                    for (var e : inputs.entrySet()) {
                        feed.put(e.getKey(), OnnxTensor.createTensor(ENV, LongBuffer.wrap(e.getValue()), shape));
                    }
                    try (OrtSession.Result r = s.run(feed)) {
                        float[][] out = new float[outputs.length][];
                        for (int i = 0; i < outputs.length; i++) {
                            FloatBuffer fb = ((OnnxTensor) r.get(outputs[i]).orElseThrow()).getFloatBuffer();
                            out[i] = new float[fb.remaining()];
                            fb.get(out[i]);
                        }
                        return out;
                    }
                } finally {
                    feed.values().forEach(OnnxTensor::close);
                }
            }
        }
    }

    /** max |a - b| over max |a|. */
    static double relativeMax(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "output sizes");
        double num = 0, den = 1e-12;
        for (int i = 0; i < expected.length; i++) {
            num = Math.max(num, Math.abs((double) expected[i] - actual[i]));
            den = Math.max(den, Math.abs(expected[i]));
        }
        return num / den;
    }

    private static int argmax(float[] v, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[from + i] > v[from + best]) {
                best = i;
            }
        }
        return best;
    }

    private static void checkJoint(String what, JointIntentSlotModel m, double tolerance) throws Exception {
        TransformerConfig c = m.config();
        Onnx.ModelProto proto = OnnxExport.of(m, OnnxExport.Options.defaults(), Map.of("ttq.kind", "test"));
        Batch in = batch(c.vocab(), 11);
        float[][] ours;
        float[] mask = new float[in.mask().length];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = in.mask()[i];
        }
        try (GradMode.Scope ignored = GradMode.noGrad(); StepScope s = StepScope.open()) {
            JointIntentSlotModel.Logits out = m.forward(ints(in.ids()), mask, in.b(), in.l());
            ours = new float[][] {out.intents().toArray(), out.slots().toArray()};
        }
        float[][] theirs = ort(proto.toByteArray(), Map.of("input_ids", in.ids(), "attention_mask", in.mask()), new long[] {in.b(), in.l()},
                "intent_logits", "slot_logits");
        double intents = relativeMax(ours[0], theirs[0]);
        // slot rows of real tokens only: padded rows are not predictions
        float[] oursReal = new float[ours[1].length], theirsReal = new float[ours[1].length];
        int n = 0;
        for (int t = 0; t < in.mask().length; t++) {
            if (in.mask()[t] == 1) {
                System.arraycopy(ours[1], t * c.slots(), oursReal, n * c.slots(), c.slots());
                System.arraycopy(theirs[1], t * c.slots(), theirsReal, n * c.slots(), c.slots());
                n++;
            }
        }
        double slots = relativeMax(java.util.Arrays.copyOf(oursReal, n * c.slots()), java.util.Arrays.copyOf(theirsReal, n * c.slots()));
        System.out.printf("%s: intent logits within %.2e, slot logits within %.2e (relative to the largest)%n", what, intents, slots);
        assertTrue(intents <= tolerance && slots <= tolerance, what + ": intents " + intents + ", slots " + slots + " > " + tolerance);
        for (int u = 0; u < in.b(); u++) {
            assertEquals(argmax(ours[0], u * c.intents(), c.intents()), argmax(theirs[0], u * c.intents(), c.intents()), what + " intent " + u);
        }
        for (int t = 0; t < n; t++) {
            assertEquals(argmax(oursReal, t * c.slots(), c.slots()), argmax(theirsReal, t * c.slots(), c.slots()), what + " slot " + t);
        }
        assertNoDenseWeights(what, proto, m.config());
    }

    /** No initializer as large as a dense layer's weight: the factorization survived. */
    private static void assertNoDenseWeights(String what, Onnx.ModelProto proto, TransformerConfig c) {
        if (!c.format().equals("tt")) {
            return;
        }
        long smallestDense = (long) c.hidden() * c.hidden();
        for (Onnx.TensorProto t : proto.getGraph().getInitializerList()) {
            long n = t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
            boolean head = t.getName().startsWith("intentOut") || t.getName().startsWith("slotOut") || t.getName().equals("positions");
            assertTrue(head || n < smallestDense, what + ": initializer " + t.getName() + " has " + n + " values");
        }
    }

    @Test
    void denseFp32() throws Exception {
        checkJoint("dense FP32", trained(small("dense", 32), 1), 1e-4);
    }

    @Test
    void ttFp32() throws Exception {
        checkJoint("TT FP32", trained(small("tt", 32), 2), 1e-4);
    }

    @Test
    void ttInt8() throws Exception {
        checkJoint("TT INT8", trained(small("tt", 8), 3), 2e-2);
    }

    @Test
    void ttInt4() throws Exception {
        JointIntentSlotModel m = trained(small("tt", 4), 4);
        checkJoint("TT INT4", m, 2e-2);
        long int4 = OnnxExport.of(m, OnnxExport.Options.defaults(), Map.of()).getGraph().getInitializerList().stream()
                .filter(t -> t.getDataType() == Onnx.TensorProto.DataType.INT4_VALUE).count();
        assertTrue(int4 > 0, "4-bit cores stored as int4");
    }

    @Test
    void ttInt2() throws Exception {
        checkJoint("TT INT2", trained(small("tt", 2), 5), 2e-2);
    }

    /** A small TT INT8 BERT student (TTM word table, TT block linears, INT8 inputs) and a dense classifier, both pooling ways. */
    @Test
    void classifiers() throws Exception {
        BertConfig c = new BertConfig(60, 24, 2, 2, 48, 20, 2, 1e-12f, 0.1f);
        BertStudent.Spec spec = BertStudent.Spec.builder().rank(4).embeddingRank(5).bits(8).svdInit(false).build();
        checkClassifier("TT INT8 student (cls)", trainedClassifier(new SequenceClassifier(BertStudent.build(c, spec, null, 7), Pooling.CLS, 2, 7)), 2e-2);
        checkClassifier("TT INT8 student (mean)", trainedClassifier(new SequenceClassifier(BertStudent.build(c, spec, null, 8), Pooling.MEAN, 2, 8)), 2e-2);
        checkClassifier("dense classifier (cls)", trainedClassifier(new SequenceClassifier(new BertEncoder(c, 9), Pooling.CLS, 3, 9)), 1e-4);
    }

    private static BertInput classifierInput(int vocab, long seed) {
        Batch in = batch(vocab, seed);
        int[] types = new int[in.ids().length];
        for (int u = 0; u < in.b(); u++) {
            for (int t = LENGTHS[u] / 2; t < LENGTHS[u]; t++) {
                types[u * in.l() + t] = 1; // a second segment, as in sentence pairs
            }
        }
        return new BertInput(ints(in.ids()), types, ints(in.mask()), in.b(), in.l());
    }

    private static SequenceClassifier trainedClassifier(SequenceClassifier m) {
        int classes = m.classifier().outFeatures();
        BertInput in = classifierInput(m.encoder().config().vocab(), 21);
        int[] labels = new Random(3).ints(in.batch(), 0, classes).toArray();
        Adam opt = new Adam(m.parameters(), 3e-3f, 0.9f, 0.98f, 1e-8f, 0f);
        m.train(true);
        for (int step = 0; step < 30; step++) {
            m.reseedDropout(1, 0, step);
            try (StepScope s = StepScope.open()) {
                opt.zeroGrad();
                Ops.crossEntropy(m.forward(in), labels, -100).backward();
                opt.step();
            }
        }
        m.eval();
        return m;
    }

    private static void checkClassifier(String what, SequenceClassifier m, double tolerance) throws Exception {
        BertInput in = classifierInput(m.encoder().config().vocab(), 22);
        float[] ours;
        try (GradMode.Scope ignored = GradMode.noGrad(); StepScope s = StepScope.open()) {
            ours = m.forward(in).toArray();
        }
        long[] ids = new long[in.ids().length], mask = new long[ids.length], types = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = in.ids()[i];
            mask[i] = in.mask()[i];
            types[i] = in.typeIds()[i];
        }
        byte[] bytes = OnnxExport.of(m, OnnxExport.Options.defaults(), Map.of()).toByteArray();
        float[] theirs = ort(bytes, Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types),
                new long[] {in.batch(), in.length()}, "logits")[0];
        double diff = relativeMax(ours, theirs);
        System.out.printf("%s: logits within %.2e (relative to the largest)%n", what, diff);
        assertTrue(diff <= tolerance, what + ": " + diff + " > " + tolerance);
        int classes = m.classifier().outFeatures();
        for (int u = 0; u < in.batch(); u++) {
            assertEquals(argmax(ours, u * classes, classes), argmax(theirs, u * classes, classes), what + " example " + u);
        }
    }

}
