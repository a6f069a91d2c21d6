package ttq.engine.optim;

/** A schedule that keeps the same learning rate at every step. */
public final class ConstantLr implements LrSchedule {
    private final float base;

    /** @param base the learning rate, finite and &gt;= 0 */
    public ConstantLr(float base) {
        if (!(base >= 0f) || Float.isInfinite(base)) {
            throw new IllegalArgumentException("ConstantLr: base learning rate must be finite and >= 0, got " + base);
        }
        this.base = base;
    }

    /** The base learning rate, for any step &gt;= 0. */
    @Override
    public float lr(int step) {
        if (step < 0) {
            throw new IllegalArgumentException("ConstantLr: negative step " + step);
        }
        return base;
    }

    @Override
    public String toString() {
        return "ConstantLr(" + base + ")";
    }
}
