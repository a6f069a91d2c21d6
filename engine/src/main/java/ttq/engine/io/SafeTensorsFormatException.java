package ttq.engine.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file that is malformed, truncated or inconsistent (or holds a tensor this reader
 * cannot represent). The message names the file, the tensor where there is one, and the problem,
 * so a user can tell which checkpoint is broken and how without a debugger.
 */
public class SafeTensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;
    private final String problem;

    /** A problem with the file as a whole (its length prefix, header JSON, layout). */
    public SafeTensorsFormatException(Path file, String problem) {
        this(file, null, problem, null);
    }

    /** A problem with one tensor's header entry or data. */
    public SafeTensorsFormatException(Path file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    /** As {@link #SafeTensorsFormatException(Path, String, String)}, keeping the underlying cause. */
    public SafeTensorsFormatException(Path file, String tensor, String problem, Throwable cause) {
        super(file + ": " + (tensor == null ? "" : "tensor '" + tensor + "': ") + problem, cause);
        this.file = file;
        this.tensor = tensor;
        this.problem = problem;
    }

    /** The file that was being read. */
    public Path file() {
        return file;
    }

    /** The tensor the problem concerns, or null when it concerns the whole file. */
    public String tensor() {
        return tensor;
    }

    /** The problem alone, without file or tensor name. */
    public String problem() {
        return problem;
    }
}
