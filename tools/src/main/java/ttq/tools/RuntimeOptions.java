package ttq.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import ttq.model.infer.JointRuntime;
import ttq.model.infer.TtOrder;
import ttq.model.train.SavedJointModel;
import ttq.model.train.SlotDecoding;

/** The options of the commands that run a trained model on the inference runtime (predict, serve): model file, threads, order, decoding. */
final class RuntimeOptions {
    @Option(names = "--model", required = true, paramLabel = "FILE",
            description = "A compact model (ttq export) or a training checkpoint (its quantized cores are converted as ttq export would).")
    Path model;

    @Option(names = "--threads", paramLabel = "N", description = "Threads a batch is split over (default: the cores, ${DEFAULT-VALUE} here).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--tt-order", defaultValue = "auto", paramLabel = "auto|pair|chain", description = "Contraction order of the integer "
            + "TT layers: pair (precontracted U, V), chain (one core at a time) or auto (the faster, timed; default).")
    String ttOrder;

    @Option(names = "--slot-decoding", defaultValue = "bio", paramLabel = "bio|argmax", description = "Slot tags: bio (the best valid BIO "
            + "sequence) or argmax (each token's best tag); default ${DEFAULT-VALUE}.")
    String slotDecoding;

    /** The model file opened (checkpoint or compact). */
    SavedJointModel open() throws IOException {
        if (!Files.isRegularFile(model)) {
            throw new UsageException("--model " + model + ": no such file");
        }
        return SavedJointModel.open(model);
    }

    /** The checked thread count. */
    int threads() {
        if (threads < 1) {
            throw new UsageException("--threads must be at least 1, got " + threads);
        }
        return threads;
    }

    /** The parsed TT order. */
    TtOrder order() {
        try {
            return TtOrder.parse(ttOrder);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--tt-order: " + e.getMessage());
        }
    }

    /** The parsed slot decoding. */
    SlotDecoding decoding() {
        try {
            return SlotDecoding.parse(slotDecoding);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--slot-decoding: " + e.getMessage());
        }
    }

    /** The compiled runtime of an opened model. */
    JointRuntime runtime(SavedJointModel saved) {
        return JointRuntime.of(saved.net(), order());
    }
}
