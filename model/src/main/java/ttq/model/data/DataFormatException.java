package ttq.model.data;

import java.io.IOException;

/** Malformed input data; the message names the file and line. The CLI maps it to exit code 1. */
public final class DataFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** An error whose message names the file and line. */
    public DataFormatException(String message) {
        super(message);
    }
}
