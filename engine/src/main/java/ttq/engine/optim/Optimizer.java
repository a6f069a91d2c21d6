package ttq.engine.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.kernels.Parallel;

/**
 * Base of the first-order optimizers: holds the parameters, the learning rate, the step counts and
 * per-parameter state buffers, and checks the gradients before each update.
 *
 * <p>{@link #step()} first validates every non-null gradient (shape, then NaN/Inf) and only then
 * updates the parameters, so a failed step leaves parameters and state untouched. Parameters
 * whose gradient is null are skipped (their state and per-parameter step count do not advance,
 * as in PyTorch).
 *
 * <p><b>State</b> ({@link #state()}/{@link #loadState}) is a map of float tensors:
 * <ul>
 *   <li>{@code "step"}: scalar, the number of {@link #step()} calls;</li>
 *   <li>{@code "lr"}: scalar, the current learning rate;</li>
 *   <li>{@code "step.i"}: scalar, the number of updates applied to parameter i (Adam's bias
 *       correction uses it; it differs from "step" only for parameters that had no gradient on
 *       some steps);</li>
 *   <li>{@code "<buffer>.i"}: per-parameter buffers of the parameter's shape, named by the
 *       subclass (Adam: "m", "v"; SGD with momentum: "buf").</li>
 * </ul>
 * Step counts are stored as float values, which are exact integers up to 2<sup>24</sup>
 * (16,777,216); {@link #state()} refuses larger counts rather than round them. Saving and
 * restoring this map (with the same hyperparameters and parameter values) resumes training
 * bit-exactly.
 */
public abstract class Optimizer {
    /** Largest step count a float holds exactly (2^24). */
    public static final int MAX_EXACT_STEP = 1 << 24;

    private final List<Tensor> params;
    private final int[] paramSteps;
    private final String[] bufferNames;
    /** buffers[b][i]: buffer b of parameter i, same length as the parameter. */
    private final float[][][] buffers;
    private float lr;
    private int stepCount;

    /**
     * @param params      the tensors to optimize: non-empty, each requiring grad, no tensor twice
     * @param lr          the initial learning rate (finite, &gt;= 0)
     * @param bufferNames names of the per-parameter state buffers this optimizer keeps (each
     *                    allocated as zeros of the parameter's size), e.g. "m", "v"
     */
    protected Optimizer(List<Tensor> params, float lr, String... bufferNames) {
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": empty parameter list");
        }
        Map<Tensor, Integer> seen = new IdentityHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            if (p == null) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter " + i + " is null");
            }
            if (!p.requiresGrad()) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter " + i + " of shape "
                        + Shape.str(p.shape()) + " does not require grad (call requiresGrad(true) or leave it out)");
            }
            Integer previous = seen.put(p, i);
            if (previous != null) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter " + i
                        + " is the same tensor as parameter " + previous
                        + " (tied weights?); pass each tensor once, e.g. with Optimizer.distinct(...)");
            }
        }
        checkLearningRate(lr);
        this.params = Collections.unmodifiableList(new ArrayList<>(params));
        this.lr = lr;
        this.paramSteps = new int[params.size()];
        this.bufferNames = bufferNames.clone();
        this.buffers = new float[bufferNames.length][params.size()][];
        for (int b = 0; b < bufferNames.length; b++) {
            for (int i = 0; i < params.size(); i++) {
                buffers[b][i] = new float[params.get(i).numel()];
            }
        }
    }

    /** The tensors of {@code tensors} in order with repeats (by identity) removed: for tied weights. */
    public static List<Tensor> distinct(List<Tensor> tensors) {
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : tensors) {
            if (seen.put(t, Boolean.TRUE) == null) {
                out.add(t);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ the update

    /**
     * The update of a {@link Tensor#optimizeInLogDomain log-domain} parameter p > 0: the rule of
     * this optimizer applied to theta = log p with gradient dL/dtheta = p dL/dp (chain rule), no
     * weight decay (it would pull the scale towards 1), then p = exp(theta).
     */
    private void stepInLogDomain(int index, float[] p, float[] g, int step) {
        float[] theta = new float[p.length], gTheta = new float[p.length];
        for (int j = 0; j < p.length; j++) {
            float v = Math.max(p[j], Float.MIN_NORMAL);
            theta[j] = (float) Math.log(v);
            gTheta[j] = g[j] * v;
        }
        logDomainStep = true;
        try {
            update(index, theta, gTheta, step);
        } finally {
            logDomainStep = false;
        }
        for (int j = 0; j < p.length; j++) {
            p[j] = (float) Math.exp(theta[j]);
        }
    }

    private boolean logDomainStep;

    /** Inside {@link #update}: true while stepping a log-domain parameter, whose update applies no weight decay. */
    protected final boolean inLogDomainStep() {
        return logDomainStep;
    }

    /**
     * Applies one update to every parameter with a non-null gradient. Throws, before changing
     * anything, {@link IllegalStateException} when a gradient's shape differs from its parameter's
     * and {@link NonFiniteGradientException} when a gradient holds NaN or infinity.
     */
    public final void step() {
        Tensor[] grads = new Tensor[params.size()];
        for (int i = 0; i < grads.length; i++) {
            Tensor p = params.get(i);
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            if (g.numel() != p.numel() || !Arrays.equals(g.shape(), p.shape())) {
                throw new IllegalStateException(getClass().getSimpleName() + ": gradient of parameter " + i
                        + " has shape " + Shape.str(g.shape()) + " (" + g.numel() + " elements) but the parameter has "
                        + Shape.str(p.shape()) + " (" + p.numel() + " elements)");
            }
            grads[i] = g;
        }
        boolean[] finite = new boolean[grads.length];
        forParameters(grads, i -> finite[i] = allFinite(grads[i].data()));
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] != null && !finite[i]) {
                float[] g = grads[i].data();
                int at = 0;
                while (at < g.length && Float.isFinite(g[at])) {
                    at++;
                }
                throw new NonFiniteGradientException(i, at, getClass().getSimpleName() + ": non-finite gradient ("
                        + g[at] + ") in parameter " + i + " of shape " + Shape.str(params.get(i).shape())
                        + " at element " + at + " before step " + (stepCount + 1) + "; no parameter was changed");
            }
        }
        if (stepCount == Integer.MAX_VALUE) {
            throw new IllegalStateException("step count overflow");
        }
        stepCount++;
        Tensor[] plain = grads.clone();
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] != null) {
                paramSteps[i]++;
                if (params.get(i).isOptimizedInLogDomain()) {
                    plain[i] = null;
                    stepInLogDomain(i, params.get(i).data(), grads[i].data(), paramSteps[i]);
                }
            }
        }
        forParameters(plain, i -> update(i, params.get(i).data(), plain[i].data(), paramSteps[i]));
    }

    /**
     * Runs body(i) for every i with a gradient, the parameters split into contiguous groups of about
     * equal size over the cores (a model has a hundred small tensors: one parallel section per
     * tensor would cost more than the update). Each parameter is handled by one thread, so the
     * result does not depend on the thread count.
     */
    private static void forParameters(Tensor[] grads, java.util.function.IntConsumer body) {
        long total = 0;
        for (Tensor g : grads) {
            total += g == null ? 0 : g.numel();
        }
        int parts = total < 2L * Parallel.GRAIN ? 1 : Parallel.threads();
        int[] bounds = new int[parts + 1];
        long seen = 0;
        for (int i = 0, part = 1; i < grads.length && part < parts; i++) {
            seen += grads[i] == null ? 0 : grads[i].numel();
            if (seen * parts >= total * part) {
                bounds[part++] = i + 1;
            }
        }
        for (int part = 1; part <= parts; part++) {
            bounds[part] = part == parts ? grads.length : Math.max(bounds[part], bounds[part - 1]);
        }
        Parallel.forChunks(parts, part -> {
            for (int i = bounds[part]; i < bounds[part + 1]; i++) {
                if (grads[i] != null) {
                    body.accept(i);
                }
            }
        });
    }

    /**
     * Updates parameter {@code index} in place from its (validated, finite) gradient. Called for
     * different parameters from several threads at once: touch only this parameter's state.
     *
     * @param step the number of updates applied to this parameter including this one (1 first)
     */
    protected abstract void update(int index, float[] param, float[] grad, int step);

    /** Buffer {@code buffer} (index into the constructor's buffer names) of parameter {@code index}. */
    protected final float[] buffer(int buffer, int index) {
        return buffers[buffer][index];
    }

    /** True when every value is finite (no NaN, no infinity); splits large arrays over the cores. */
    static boolean allFinite(float[] g) {
        AtomicBoolean bad = new AtomicBoolean();
        Parallel.forRange(g.length, (from, to) -> {
            int maxExponent = 0;
            for (int j = from; j < to; j++) {
                maxExponent = Math.max(maxExponent, Float.floatToRawIntBits(g[j]) & 0x7f800000);
            }
            if (maxExponent == 0x7f800000) {
                bad.set(true);
            }
        });
        return !bad.get();
    }

    // ------------------------------------------------------------------ accessors

    /** Clears the gradient of every parameter. */
    public final void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    /** The optimized tensors (unmodifiable, in constructor order: index i is "parameter i"). */
    public final List<Tensor> parameters() {
        return params;
    }

    /** The current learning rate. */
    public final float learningRate() {
        return lr;
    }

    /** Sets the learning rate used by the following steps (finite, &gt;= 0); schedules call this. */
    public final void setLearningRate(float lr) {
        checkLearningRate(lr);
        this.lr = lr;
    }

    /** The number of completed {@link #step()} calls (0 before the first). */
    public final int stepCount() {
        return stepCount;
    }

    /** The number of updates applied to parameter {@code index} (steps where it had a gradient). */
    public final int parameterStepCount(int index) {
        return paramSteps[index];
    }

    private static void checkLearningRate(float lr) {
        if (!(lr >= 0f) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
    }

    // ------------------------------------------------------------------ state

    /**
     * A snapshot (copies) of the optimizer state, keys as described in the class comment, in the
     * order "step", "lr", "step.0".., then each buffer for parameters 0..n-1.
     *
     * @throws IllegalStateException when the step count exceeds {@link #MAX_EXACT_STEP}
     */
    public final Map<String, Tensor> state() {
        if (stepCount > MAX_EXACT_STEP) {
            throw new IllegalStateException("step count " + stepCount + " exceeds 2^24, which a float state entry "
                    + "cannot hold exactly");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("step", Tensor.scalar(stepCount));
        out.put("lr", Tensor.scalar(lr));
        for (int i = 0; i < params.size(); i++) {
            out.put("step." + i, Tensor.scalar(paramSteps[i]));
        }
        for (int b = 0; b < bufferNames.length; b++) {
            for (int i = 0; i < params.size(); i++) {
                out.put(bufferNames[b] + "." + i, Tensor.of(buffers[b][i], params.get(i).shape()));
            }
        }
        return out;
    }

    /**
     * Restores a {@link #state()} snapshot (values are copied; the learning rate is restored too,
     * replacing the constructor's). Keys must match exactly and shapes
     * must equal the parameters' (scalars for the step entries and "lr"); step values must be
     * non-negative integers with no parameter count above "step". All problems are reported
     * together in one {@link IllegalArgumentException}, and nothing is changed when any is found.
     */
    public final void loadState(Map<String, Tensor> state) {
        if (state == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".loadState: null state");
        }
        Map<String, int[]> expected = new LinkedHashMap<>();
        expected.put("step", new int[0]);
        expected.put("lr", new int[0]);
        for (int i = 0; i < params.size(); i++) {
            expected.put("step." + i, new int[0]);
        }
        for (String name : bufferNames) {
            for (int i = 0; i < params.size(); i++) {
                expected.put(name + "." + i, params.get(i).shape());
            }
        }
        List<String> problems = new ArrayList<>();
        TreeSet<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(state.keySet());
        TreeSet<String> unexpected = new TreeSet<>(state.keySet());
        unexpected.removeAll(expected.keySet());
        if (!missing.isEmpty()) {
            problems.add("missing " + missing);
        }
        if (!unexpected.isEmpty()) {
            problems.add("unexpected " + unexpected);
        }
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            Tensor t = state.get(e.getKey());
            if (t == null) {
                continue;
            }
            boolean scalar = e.getValue().length == 0;
            if (scalar ? t.numel() != 1 : !Arrays.equals(t.shape(), e.getValue())) {
                problems.add(e.getKey() + ": shape " + Shape.str(t.shape()) + " in state, expected "
                        + (scalar ? "a scalar" : Shape.str(e.getValue())));
            }
        }
        int newStep = 0;
        float newLr = lr;
        int[] newParamSteps = new int[params.size()];
        if (problems.isEmpty()) {
            newStep = stepValue("step", state.get("step").data()[0], problems);
            newLr = state.get("lr").data()[0];
            if (!(newLr >= 0f) || Float.isInfinite(newLr)) {
                problems.add("lr: " + newLr + " is not a finite value >= 0");
            }
            for (int i = 0; i < params.size(); i++) {
                newParamSteps[i] = stepValue("step." + i, state.get("step." + i).data()[0], problems);
                if (newParamSteps[i] > newStep) {
                    problems.add("step." + i + " = " + newParamSteps[i] + " exceeds step = " + newStep);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".loadState: " + String.join("; ", problems));
        }
        stepCount = newStep;
        lr = newLr;
        System.arraycopy(newParamSteps, 0, paramSteps, 0, newParamSteps.length);
        for (int b = 0; b < bufferNames.length; b++) {
            for (int i = 0; i < params.size(); i++) {
                float[] src = state.get(bufferNames[b] + "." + i).data();
                System.arraycopy(src, 0, buffers[b][i], 0, buffers[b][i].length);
            }
        }
    }

    private static int stepValue(String key, float v, List<String> problems) {
        if (!(v >= 0f) || v > MAX_EXACT_STEP || v != Math.rint(v)) {
            problems.add(key + ": " + v + " is not an integer step count in [0, 2^24]");
            return 0;
        }
        return (int) v;
    }
}
