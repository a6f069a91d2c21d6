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
import ttq.model.data.VocabularyJson;
import ttq.model.quant.CompactExport;
import ttq.model.size.Precision;
import ttq.model.size.SizeReport;
import ttq.model.train.SavedJointModel;
import ttq.model.transformer.TransformerConfig;
import ttq.model.transformer.TransformerConfigJson;

/**
 * {@code ttq export}: a training checkpoint to the compact deployment file (quantized TT/TTM cores
 * as packed integers, the rest FP32; {@link CompactExport}) plus its vocabulary file, and how the
 * written size compares with what {@code ttq size --checkpoint} predicts for the same model.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write the compact model file (INT8/INT4/INT2 cores packed, scales, metadata) of a training checkpoint.")
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE",
            description = "A run's best.safetensors or checkpoint.safetensors (written by ttq train).")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "M.safetensors",
            description = "Compact model file; the vocabularies go to M.vocab.json beside it.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(checkpoint)) {
            throw new UsageException("--checkpoint " + checkpoint + ": no such file");
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

    /** The header metadata of an export: the model configuration and the checkpoint's file name. */
    static Map<String, String> metadata(TransformerConfig c, Path checkpoint) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("config", TransformerConfigJson.write(c));
        meta.put("source", checkpoint.getFileName().toString());
        return meta;
    }

    /** What {@code ttq size --checkpoint} reports for a model at its own precision. */
    static long predictedBytes(TransformerConfig c) {
        return SizeReport.of(c.sizeSpec("model", 32 * 24)).bytes(precision(c.bits()));
    }

    static Precision precision(int bits) {
        for (Precision p : Precision.values()) {
            if (p.bits() == bits) {
                return p;
            }
        }
        throw new IllegalArgumentException("no precision of " + bits + " bits");
    }
}
