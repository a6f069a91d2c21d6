package ttq.engine.optim;

/**
 * Linear warmup then linear decay to zero, as Hugging Face's
 * {@code get_linear_schedule_with_warmup} (a PyTorch {@code LambdaLR}). With steps counted from 0
 * (see {@link LrSchedule}):
 * <pre>
 *   lr(step) = base * step / warmup                                       for step &lt; warmup
 *   lr(step) = base * max(0, (total - step) / max(1, total - warmup))     otherwise
 * </pre>
 * so the first update uses 0 when warmup &gt; 0, the rate peaks at {@code base} at step
 * {@code warmup}, and it is 0 from step {@code total} on. The factor and product are computed in
 * double and rounded once to float.
 */
public final class WarmupLinearDecay implements LrSchedule {
    private final float base;
    private final int warmupSteps;
    private final int totalSteps;

    /**
     * @param base        peak learning rate, finite and &gt;= 0
     * @param warmupSteps steps of linear warmup, in [0, totalSteps]
     * @param totalSteps  step at which the rate reaches 0, &gt; 0
     */
    public WarmupLinearDecay(float base, int warmupSteps, int totalSteps) {
        if (!(base >= 0f) || Float.isInfinite(base)) {
            throw new IllegalArgumentException("WarmupLinearDecay: base learning rate must be finite and >= 0, got " + base);
        }
        if (totalSteps <= 0) {
            throw new IllegalArgumentException("WarmupLinearDecay: totalSteps must be > 0, got " + totalSteps);
        }
        if (warmupSteps < 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("WarmupLinearDecay: warmupSteps must be in [0, totalSteps = "
                    + totalSteps + "], got " + warmupSteps);
        }
        this.base = base;
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
    }

    /** The rate for the update after {@code step} completed steps (formula in the class comment). */
    @Override
    public float lr(int step) {
        if (step < 0) {
            throw new IllegalArgumentException("WarmupLinearDecay: negative step " + step);
        }
        double factor;
        if (step < warmupSteps) {
            factor = (double) step / Math.max(1, warmupSteps);
        } else {
            factor = Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
        }
        return (float) (base * factor);
    }

    /** The peak learning rate. */
    public float base() {
        return base;
    }

    /** Number of warmup steps. */
    public int warmupSteps() {
        return warmupSteps;
    }

    /** Step from which the rate is 0. */
    public int totalSteps() {
        return totalSteps;
    }

    @Override
    public String toString() {
        return "WarmupLinearDecay(base=" + base + ", warmup=" + warmupSteps + ", total=" + totalSteps + ")";
    }
}
