package ttq.engine.check;

/**
 * A NaN or infinity found by {@link AnomalyDetection}: the op, the module whose forward ran it, the
 * pass (forward or backward) and what was found. A training loop adds where in the run it happened.
 */
public final class AnomalyException extends ArithmeticException {
    private static final long serialVersionUID = 1L;
    private final String op, module, pass;

    /** An anomaly in {@code op} (run by {@code module}) during {@code pass}; {@code detail} says what was found. */
    public AnomalyException(String op, String module, String pass, String detail) {
        super("anomaly: non-finite value in the " + pass + " of " + op + (module.isEmpty() ? "" : " (module " + module + ")") + ": " + detail);
        this.op = op;
        this.module = module;
        this.pass = pass;
    }

    private AnomalyException(AnomalyException cause, String where) {
        super(cause.getMessage() + " " + where);
        this.op = cause.op;
        this.module = cause.module;
        this.pass = cause.pass;
        initCause(cause);
    }

    /** The same anomaly with the place in a run appended ("at epoch 2 step 17 ..."). */
    public AnomalyException at(String where) {
        return new AnomalyException(this, where);
    }

    /** The op's name (its class). */
    public String op() {
        return op;
    }

    /** The module path ("" when the op ran outside every module). */
    public String module() {
        return module;
    }

    /** "forward" or "backward". */
    public String pass() {
        return pass;
    }
}
