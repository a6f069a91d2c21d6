package ttq.engine.optim;

/**
 * Thrown by {@link Optimizer#step()} when a gradient holds a NaN or an infinity. It is thrown
 * before any parameter or optimizer state is modified, so a training loop can report the step
 * (and, for example, skip the batch or lower the learning rate) without corrupted weights.
 */
public final class NonFiniteGradientException extends ArithmeticException {
    private static final long serialVersionUID = 1L;

    private final int parameterIndex;
    private final int elementIndex;

    /** Creates the exception for element {@code elementIndex} of parameter {@code parameterIndex}. */
    public NonFiniteGradientException(int parameterIndex, int elementIndex, String message) {
        super(message);
        this.parameterIndex = parameterIndex;
        this.elementIndex = elementIndex;
    }

    /** Index, in the optimizer's parameter list, of the first parameter with a non-finite gradient. */
    public int parameterIndex() {
        return parameterIndex;
    }

    /** Flat (row-major) index of the first non-finite element of that parameter's gradient. */
    public int elementIndex() {
        return elementIndex;
    }
}
