package ttq.engine.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;

/**
 * Saving and restoring a {@link Module}'s state dict (parameters and buffers by dotted name) as a
 * float32 safetensors file, so checkpoints open directly in PyTorch / Hugging Face tooling.
 */
public final class Checkpoints {
    private Checkpoints() {
    }

    /**
     * Writes module.stateDict() as F32, atomically, with metadata format=pt (Hugging Face loaders
     * refuse safetensors files whose format they do not recognise).
     */
    public static void save(Path file, Module module) throws IOException {
        SafeTensors.write(file, module.stateDict(), Map.of("format", "pt"));
    }

    /**
     * Loads a checkpoint into module in place. Stored tensors of any dtype are converted to float;
     * missing, unexpected or mis-shaped names give an IllegalArgumentException naming the file and
     * the parameters, with the module left unchanged.
     */
    public static void load(Path file, Module module) throws IOException {
        Map<String, Tensor> state = SafeTensors.readFloats(file);
        try {
            module.loadStateDict(state);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }
}
