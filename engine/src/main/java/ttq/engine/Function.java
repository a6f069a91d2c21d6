package ttq.engine;

import java.util.Arrays;

/**
 * A recorded differentiable operation: the node of the autograd graph that produced one tensor.
 * Subclasses (one per op, in {@code ttq.engine.ops}) compute their forward in a static
 * {@code apply} method and implement {@link #backward}; they save exactly what backward needs with
 * {@link #save}, which is released as soon as backward has run.
 */
public abstract class Function {
    private Tensor[] inputs;
    private Tensor[] saved;
    private boolean released;
    /** The module path the forward ran under, when a profiler records it (null otherwise). */
    private String profilePath;
    private String anomalyModule;

    /** Gradients of the loss w.r.t. each input, given the gradient w.r.t. the output; null where not needed. */
    protected abstract Tensor[] backward(Tensor gradOutput);

    /** The op's name, for error messages. */
    public String name() {
        return getClass().getSimpleName();
    }

    /** True when input i takes part in differentiation (its gradient is wanted). */
    protected final boolean needsGrad(int i) {
        return inputs[i].requiresGrad();
    }

    /** Stores tensors for backward. */
    protected final void save(Tensor... tensors) {
        this.saved = tensors;
    }

    /** A tensor stored by {@link #save}. */
    protected final Tensor saved(int i) {
        return saved[i];
    }

    /** The inputs this node was recorded with. */
    protected final Tensor input(int i) {
        return inputs[i];
    }

    /**
     * Whether a graph should be recorded for an op on these inputs: grad mode is on and at least
     * one input requires grad.
     */
    public static boolean recording(Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** Links {@code out} to this node and its inputs; returns out, now requiring grad. */
    protected final Tensor attach(Tensor out, Tensor... inputs) {
        this.inputs = inputs;
        out.setGradFn(this);
        if (ttq.engine.check.AnomalyDetection.enabled()) {
            anomalyModule = ttq.engine.check.AnomalyDetection.currentModule();
            ttq.engine.check.AnomalyDetection.checkForward(name(), anomalyModule, out, inputs);
        }
        if (ttq.engine.profile.Profiler.running()) {
            profilePath = ttq.engine.profile.Profiler.forwardDone(name());
        }
        return out;
    }

    /** The module whose forward ran this op, recorded when anomaly detection is on (null otherwise). */
    final String anomalyModule() {
        return anomalyModule;
    }

    /** The module path recorded with the forward (null when no profiler ran). */
    final String profilePath() {
        return profilePath;
    }

    Tensor[] inputs() {
        if (released) {
            throw new IllegalStateException("backward through " + name() + " a second time: the graph was freed"
                    + " after the first backward (run the forward again)");
        }
        return inputs;
    }

    /** Frees what this node holds once its backward ran. */
    void release() {
        released = true;
        inputs = null;
        saved = null;
        onRelease();
    }

    /** Drops state an op keeps outside {@link #save} (buffers for its backward); called after backward. */
    protected void onRelease() {
    }

    Tensor[] runBackward(Tensor gradOutput) {
        Tensor[] grads = backward(gradOutput);
        if (grads.length != inputs.length) {
            throw new IllegalStateException(name() + ".backward returned " + grads.length + " gradients for "
                    + inputs.length + " inputs");
        }
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] != null && !Arrays.equals(grads[i].shape(), inputs[i].shape())) {
                throw new IllegalStateException(name() + ".backward: gradient " + i + " has shape "
                        + Shape.str(grads[i].shape()) + " but the input has " + Shape.str(inputs[i].shape()));
            }
        }
        return grads;
    }
}
