package ttq.model.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import ttq.engine.Tensor;
import ttq.engine.io.SafeTensorFile;
import ttq.engine.io.SafeTensors;
import ttq.engine.io.SafeTensorsWriter;
import ttq.engine.nn.Module;
import ttq.engine.optim.Optimizer;
import ttq.model.data.DataFormatException;

/**
 * One safetensors file holding everything a run needs to continue: the model's state
 * ({@code model.*}), the optimizer's ({@code optimizer.*}) and metadata (completed epoch, best dev
 * score, configuration). Written atomically (temp file, fsync, rename) by the safetensors writer,
 * so a run killed while saving keeps the previous checkpoint.
 */
public final class TrainingCheckpoint {
    private TrainingCheckpoint() {
    }

    /** Writes model weights, optimizer state and metadata to file atomically. */
    public static void save(Path file, Module model, Optimizer optimizer, Map<String, String> metadata) throws IOException {
        SafeTensorsWriter w = SafeTensors.writer();
        metadata.forEach(w::metadata);
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            w.putF32("model." + e.getKey(), e.getValue());
        }
        if (optimizer != null) {
            for (Map.Entry<String, Tensor> e : optimizer.state().entrySet()) {
                w.putF32("optimizer." + e.getKey(), e.getValue());
            }
        }
        w.write(file);
    }

    /** Restores the model (and the optimizer when given); returns the file's metadata. */
    public static Map<String, String> load(Path file, Module model, Optimizer optimizer) throws IOException {
        SafeTensorFile f = SafeTensors.read(file);
        Map<String, Tensor> modelState = new LinkedHashMap<>(), optimizerState = new LinkedHashMap<>();
        for (var e : f.entries()) {
            if (e.name().startsWith("model.")) {
                modelState.put(e.name().substring(6), e.toFloatTensor());
            } else if (e.name().startsWith("optimizer.")) {
                optimizerState.put(e.name().substring(10), e.toFloatTensor());
            }
        }
        try {
            model.loadStateDict(modelState);
            if (optimizer != null) {
                optimizer.loadState(optimizerState);
            }
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(file + ": checkpoint does not fit this model: " + e.getMessage());
        }
        return f.metadata();
    }
}
