package ttq.model.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import ttq.engine.io.SafeTensors;
import ttq.model.data.DataFormatException;
import ttq.model.data.JointBatcher;
import ttq.model.data.VocabularyJson;
import ttq.model.quant.CompactExport;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;
import ttq.model.transformer.TransformerConfigJson;

/**
 * A trained joint intent/slot model opened from disk, ready to predict: either a training
 * checkpoint ({@code checkpoint.safetensors} / {@code best.safetensors} of a run: configuration and
 * vocabularies in its metadata) or a compact export ({@code ttq export}: configuration in its
 * metadata, vocabularies in the {@code .vocab.json} file beside it).
 */
public record SavedJointModel(Path file, boolean compact, TransformerConfig config, JointBatcher batcher,
                              JointIntentSlotModel net) {

    /** The vocabulary file that goes with a compact model file: {@code M.safetensors} -> {@code M.vocab.json}. */
    public static Path vocabularyFile(Path modelFile) {
        String name = modelFile.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return modelFile.resolveSibling(stem + ".vocab.json");
    }

    /** Reads a training checkpoint or a compact export and rebuilds the model with its vocabularies. */
    public static SavedJointModel open(Path file) throws IOException {
        Map<String, String> meta = SafeTensors.read(file).metadata();
        boolean compact = CompactExport.FORMAT.equals(meta.get("format"));
        TransformerConfig config = TransformerConfigJson.read(meta.get("config"), file.toString());
        JointBatcher batcher;
        if (compact) {
            Path vocab = vocabularyFile(file);
            String text;
            try {
                text = Files.readString(vocab, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new DataFormatException(vocab + ": vocabulary file of " + file.getFileName() + " not found (ttq export writes it "
                        + "beside the model)");
            }
            batcher = VocabularyJson.read(text, vocab.toString());
        } else {
            batcher = VocabularyJson.read(meta.get("vocab"), file.toString());
        }
        if (batcher.words().size() != config.vocab() || batcher.intents().size() != config.intents()
                || batcher.slots().size() != config.slots() || batcher.maxLength() > config.maxLength()) {
            throw new DataFormatException(file + ": vocabularies (" + batcher.words().size() + " words, " + batcher.intents().size()
                    + " intents, " + batcher.slots().size() + " slot tags, max length " + batcher.maxLength() + ") do not fit the model ("
                    + config.vocab() + ", " + config.intents() + ", " + config.slots() + ", " + config.maxLength() + ")");
        }
        JointIntentSlotModel net = new JointIntentSlotModel(config, 0);
        if (compact) {
            CompactExport.load(net, file);
        } else {
            TrainingCheckpoint.load(file, net, null);
        }
        net.eval();
        return new SavedJointModel(file, compact, config, batcher, net);
    }
}
