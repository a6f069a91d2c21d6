package ttq.model.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import ttq.engine.GradMode;
import ttq.model.bert.SequenceClassifier;
import ttq.model.onnx.proto.Onnx;
import ttq.model.transformer.JointIntentSlotModel;

/**
 * Writes ttq models as ONNX files (IR version {@value #IR_VERSION}, default-domain opset
 * {@value #OPSET}): the factorized graph ({@link OnnxLayers}) in a ModelProto with the producer
 * and the caller's metadata (vocabulary, labels, configuration) in {@code metadata_props}. Files
 * are written atomically: a failed export leaves no partial file behind.
 */
public final class OnnxExport {
    /** ONNX IR version written: 10, the first with int4 tensors. */
    public static final int IR_VERSION = 10;
    /** Default-domain operator set: 21 (int4 QuantizeLinear/DequantizeLinear). */
    public static final int OPSET = 21;

    private OnnxExport() {
    }

    /** How the graph is written. */
    public record Options(int rows, boolean int4) {
        /** Validates the planning row count. */
        public Options {
            if (rows < 1) {
                throw new IllegalArgumentException("ONNX export: the typical batch must be at least 1 row, got " + rows);
            }
        }

        /** TT layers planned for 32 rows (a batch-1 utterance and then some), 4-bit codes as int4. */
        public static Options defaults() {
            return new Options(32, true);
        }
    }

    /** The ONNX model of a joint intent/slot model. */
    public static Onnx.ModelProto of(JointIntentSlotModel model, Options options, Map<String, String> metadata) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return wrap(JointModelOnnx.graph(model, options.rows(), options.int4()), options, metadata);
        }
    }

    /** The ONNX model of a sequence classifier (fine-tuned teacher or distilled student). */
    public static Onnx.ModelProto of(SequenceClassifier model, Options options, Map<String, String> metadata) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return wrap(ClassifierOnnx.graph(model, options.rows(), options.int4()), options, metadata);
        }
    }

    private static Onnx.ModelProto wrap(OnnxGraph graph, Options options, Map<String, String> metadata) {
        Onnx.ModelProto.Builder m = Onnx.ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("ttq")
                .setProducerVersion(producerVersion()).setDomain("dev.ttq").setModelVersion(1)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET)).setGraph(graph.build());
        m.addMetadataProps(entry("ttq.plan_rows", Integer.toString(options.rows())));
        metadata.forEach((k, v) -> m.addMetadataProps(entry(k, v)));
        return m.build();
    }

    private static Onnx.StringStringEntryProto entry(String key, String value) {
        return Onnx.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private static String producerVersion() {
        String v = OnnxExport.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0" : v;
    }

    /** Writes a model to {@code out} atomically (temporary file, fsync, rename). */
    public static void write(Onnx.ModelProto model, Path out) throws IOException {
        byte[] bytes = model.toByteArray();
        ttq.engine.io.AtomicFileWrite.write(out, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }
}
