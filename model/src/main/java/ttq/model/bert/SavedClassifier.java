package ttq.model.bert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import ttq.model.data.DataFormatException;
import ttq.model.train.TrainingCheckpoint;

/**
 * A fine-tuned classifier on disk (the {@code best.safetensors} of {@code ttq finetune}): weights
 * plus what rebuilds it: the encoder config, pooling, class count, the teacher it came from (for
 * the tokenizer), the task and the maximum length.
 */
public final class SavedClassifier {
    private SavedClassifier() {
    }

    /** What was saved besides the weights. */
    public record Info(String teacher, String task, BertConfig config, Pooling pooling, int classes, int maxLength) {
    }

    /** The safetensors metadata that lets a saved classifier be rebuilt. */
    public static Map<String, String> metadata(Info info) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "ttq-sequence-classifier");
        m.put("teacher", info.teacher());
        m.put("task", info.task());
        try {
            m.put("bert_config", new ObjectMapper().writeValueAsString(info.config()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        m.put("pooling", info.pooling().name().toLowerCase(java.util.Locale.ROOT));
        m.put("classes", Integer.toString(info.classes()));
        m.put("max_length", Integer.toString(info.maxLength()));
        return m;
    }

    /** A loaded classifier, in evaluation mode. */
    public record Loaded(SequenceClassifier model, Info info, Map<String, String> metadata) {
        /** The tokenizer the model was trained with. */
        public BertTokenizer tokenizer() throws IOException {
            return PretrainedBert.load(info.teacher()).tokenizer(info.maxLength());
        }
    }

    /** The {@link Info} in a file's metadata (written by {@link #metadata}); broken fields are an error naming the file. */
    static Info info(Map<String, String> meta, Path file) throws DataFormatException {
        try {
            return new Info(meta.get("teacher"), meta.get("task"), new ObjectMapper().readValue(meta.get("bert_config"), BertConfig.class),
                    Pooling.parse(meta.get("pooling")), Integer.parseInt(meta.get("classes")), Integer.parseInt(meta.get("max_length")));
        } catch (RuntimeException | IOException e) {
            throw new DataFormatException(file + ": broken classifier metadata (" + e.getMessage() + ")");
        }
    }

    /** Reads a file written with {@link #metadata}; a file of another kind is an error naming it. */
    public static Loaded load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DataFormatException(file + ": file not found");
        }
        Map<String, String> meta = ttq.engine.io.SafeTensors.readMetadata(file);
        if (!"ttq-sequence-classifier".equals(meta.get("format"))) {
            throw new DataFormatException(file + ": not a fine-tuned classifier (ttq finetune's best.safetensors)");
        }
        Info info = info(meta, file);
        SequenceClassifier model = new SequenceClassifier(new BertEncoder(info.config(), 0), info.pooling(), info.classes(), 0);
        TrainingCheckpoint.load(file, model, null);
        model.eval();
        return new Loaded(model, info, meta);
    }
}
