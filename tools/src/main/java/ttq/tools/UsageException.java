package ttq.tools;

/** A command was called wrongly (bad option value or combination): exit code 2. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }

    /** Throws a usage error with this message unless {@code ok}. */
    public static void require(boolean ok, String message) {
        if (!ok) {
            throw new UsageException(message);
        }
    }
}
