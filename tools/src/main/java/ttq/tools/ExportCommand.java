package ttq.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.engine.io.AtomicFileWrite;
import ttq.engine.io.SafeTensors;
import ttq.model.bert.SavedClassifier;
import ttq.model.bert.SavedStudent;
import ttq.model.data.DataFormatException;
import ttq.model.data.VocabularyJson;
import ttq.model.onnx.OnnxExport;
import ttq.model.onnx.proto.Onnx;
import ttq.model.quant.CompactExport;
import ttq.model.size.Precision;
import ttq.model.size.SizeReport;
import ttq.model.train.SavedJointModel;
import ttq.model.transformer.TransformerConfig;
import ttq.model.transformer.TransformerConfigJson;

/**
 * {@code ttq export}: a training checkpoint to the compact deployment file (quantized TT/TTM cores
 * as packed integers, the rest FP32; {@link CompactExport}) plus its vocabulary file, and how the
 * written size compares with what {@code ttq size --checkpoint} predicts for the same model; or,
 * with {@code --format onnx}, to an ONNX file that keeps the factorization and the quantization
 * ({@link OnnxExport}) for a joint model, a fine-tuned classifier or a distilled TT student.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write the compact model file (INT8/INT4/INT2 cores packed, scales, metadata) of a training checkpoint, "
                + "or an ONNX file of it (--format onnx).")
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE",
            description = "A run's best.safetensors or checkpoint.safetensors (written by ttq train).")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "FILE",
            description = "compact: M.safetensors (the vocabularies go to M.vocab.json beside it); onnx: M.onnx.")
    Path out;

    @Option(names = "--format", defaultValue = "compact", paramLabel = "compact|onnx", description = "compact (default): ttq's own "
            + "file; onnx: an ONNX graph (opset 21) with the TT/TTM cores as initializers and quantization as QDQ pairs.")
    String format;

    @Option(names = "--plan-rows", defaultValue = "32", paramLabel = "N", description = "onnx: the typical batch in rows (tokens) the "
            + "TT contraction order is planned for (default ${DEFAULT-VALUE}).")
    int planRows;

    @Option(names = "--int8-codes", description = "onnx: store 4-bit cores as int8 codes instead of int4 (for runtimes without int4).")
    boolean int8Codes;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(checkpoint)) {
            throw new UsageException("--checkpoint " + checkpoint + ": no such file");
        }
        if (!format.equals("compact") && !format.equals("onnx")) {
            throw new UsageException("--format must be compact or onnx, got '" + format + "'");
        }
        if (format.equals("onnx")) {
            return onnx();
        }
        if (!out.getFileName().toString().endsWith(".safetensors")) {
            throw new UsageException("--out must end in .safetensors, got " + out);
        }
        if (Files.exists(out) && Files.isSameFile(out, checkpoint)) {
            throw new UsageException("--out is the checkpoint itself; choose another file");
        }
        SavedJointModel saved = SavedJointModel.open(checkpoint);
        if (saved.compact()) {
            throw new UsageException(checkpoint + " is already a compact export; pass a training checkpoint");
        }
        TransformerConfig c = saved.config();
        Map<String, String> meta = metadata(c, checkpoint);
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        CompactExport.write(saved.net(), out, meta);
        Path vocab = SavedJointModel.vocabularyFile(out);
        AtomicFileWrite.writeString(vocab, VocabularyJson.write(saved.batcher()));
        long written = Files.size(out), header = written - SafeTensors.read(out).dataBytes();
        long predicted = predictedBytes(c);
        System.out.printf(Locale.ROOT, "wrote %s (%s %s): %d bytes = %d of tensors (ttq size predicts %d: %+.2f%%) + %d of header "
                        + "(names, shapes, metadata); vocabularies in %s%n",
                out, c.format(), c.bits() == 32 ? "FP32" : "INT" + c.bits(), written, written - header, predicted,
                100.0 * (written - header - predicted) / predicted, header, vocab.getFileName());
        return 0;
    }

    private int onnx() throws Exception {
        if (!out.getFileName().toString().endsWith(".onnx")) {
            throw new UsageException("--out must end in .onnx with --format onnx, got " + out);
        }
        if (planRows < 1) {
            throw new UsageException("--plan-rows must be at least 1, got " + planRows);
        }
        if (Files.isDirectory(out)) {
            throw new UsageException("--out " + out + " is a folder");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new UsageException("--out " + out + ": folder " + parent + " does not exist");
        }
        if (parent != null && !Files.isWritable(parent)) {
            throw new UsageException("--out " + out + ": folder " + parent + " is not writable");
        }
        Map<String, String> fileMeta = SafeTensors.readMetadata(checkpoint);
        OnnxExport.Options options = new OnnxExport.Options(planRows, !int8Codes);
        Onnx.ModelProto model;
        String what;
        long compactBytes;
        if ("ttq-sequence-classifier".equals(fileMeta.get("format")) || SavedStudent.isStudent(fileMeta)) {
            SavedClassifier.Loaded loaded = SavedStudent.isStudent(fileMeta) ? SavedStudent.load(checkpoint) : SavedClassifier.load(checkpoint);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("ttq.kind", SavedStudent.isStudent(fileMeta) ? "student-classifier" : "sequence-classifier");
            meta.put("ttq.source", checkpoint.getFileName().toString());
            SavedClassifier.metadata(loaded.info()).forEach((k, v) -> meta.put("ttq." + k, v));
            String labels = switch (loaded.info().task()) { // the label ids of the GLUE files, as Hugging Face names them
                case "sst2" -> "[\"negative\", \"positive\"]";
                case "mrpc" -> "[\"not_equivalent\", \"equivalent\"]";
                case "rte" -> "[\"entailment\", \"not_entailment\"]";
                default -> null;
            };
            if (labels != null) {
                meta.put("ttq.labels", labels);
            }
            meta.put("ttq.inputs", "input_ids, attention_mask, token_type_ids [batch, length] int64: the teacher's tokenizer ("
                    + loaded.info().teacher() + "), [CLS] first");
            model = OnnxExport.of(loaded.model(), options, meta);
            what = meta.get("ttq.kind") + " (" + loaded.info().task() + ", " + loaded.info().config().layers() + " blocks)";
            compactBytes = CompactExport.fileBytes(loaded.model(), Map.of());
        } else if (fileMeta.containsKey("config")) {
            SavedJointModel saved = SavedJointModel.open(checkpoint);
            TransformerConfig c = saved.config();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("ttq.kind", "joint-intent-slot");
            meta.put("ttq.source", checkpoint.getFileName().toString());
            meta.put("ttq.config", TransformerConfigJson.write(c));
            meta.put("ttq.vocabularies", VocabularyJson.write(saved.batcher()));
            meta.put("ttq.inputs", "input_ids, attention_mask [batch, length] int64: word ids of ttq.vocabularies (0 padding, 1 unknown)");
            model = OnnxExport.of(saved.net(), options, meta);
            what = "joint intent/slot model (" + c.format() + " " + (c.bits() == 32 ? "FP32" : "INT" + c.bits()) + ")";
            compactBytes = CompactExport.fileBytes(saved.net(), metadata(c, checkpoint));
        } else {
            throw new DataFormatException(checkpoint + ": not a checkpoint ttq can export (a joint model from ttq train or ttq export, a "
                    + "classifier from ttq finetune, or a student from ttq distill); its format is " + fileMeta.getOrDefault("format", "unknown"));
        }
        OnnxExport.write(model, out);
        long written = Files.size(out);
        System.out.printf(Locale.ROOT, "wrote %s: %s, ONNX IR %d, opset %d, %d nodes, %d initializers, %d bytes (%.2fx the compact "
                        + "file's %d bytes)%n", out, what, OnnxExport.IR_VERSION, OnnxExport.OPSET, model.getGraph().getNodeCount(),
                model.getGraph().getInitializerCount(), written, (double) written / compactBytes, compactBytes);
        return 0;
    }

    /** The header metadata of an export: the model configuration and the checkpoint's file name. */
    static Map<String, String> metadata(TransformerConfig c, Path checkpoint) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("config", TransformerConfigJson.write(c));
        meta.put("source", checkpoint.getFileName().toString());
        return meta;
    }

    /** What {@code ttq size --checkpoint} reports for a model at its own precision. */
    static long predictedBytes(TransformerConfig c) {
        return SizeReport.of(c.sizeSpec("model", 32 * 24)).bytes(Precision.of(c.bits()));
    }
}
