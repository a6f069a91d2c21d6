package ttq.model.train;

/**
 * A run cannot start as asked: its folder already holds a run and resuming was not asked for, the
 * checkpoint was made with other settings, or a stop point lies before what is already done. A
 * usage error, not bad data: the caller's options are at fault.
 */
public final class RunMismatchException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** An error with its message. */
    public RunMismatchException(String message) {
        super(message);
    }
}
