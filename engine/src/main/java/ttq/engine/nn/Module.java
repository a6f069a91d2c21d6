package ttq.engine.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import ttq.engine.Shape;
import ttq.engine.Tensor;

/**
 * A building block with named parameters, buffers (non-trainable state) and child modules, in
 * registration order. Names nest with dots, as in PyTorch state dicts, so checkpoints map 1:1.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a trainable tensor (it is marked requiresGrad) and returns it. */
    protected final Tensor parameter(String name, Tensor value) {
        checkName(name);
        value.requiresGrad(true);
        parameters.put(name, value);
        return value;
    }

    /** Registers non-trainable state saved with the module (running statistics, scales). */
    protected final Tensor buffer(String name, Tensor value) {
        checkName(name);
        buffers.put(name, value);
        return value;
    }

    /** Registers a child module and returns it. */
    protected final <M extends Module> M module(String name, M child) {
        checkName(name);
        children.put(name, child);
        return child;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("module member name must be non-empty and dot-free: '" + name + "'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("name '" + name + "' registered twice in " + getClass().getSimpleName());
        }
    }

    /** All parameters of this module and its children with dotted names, in registration order. */
    public final List<Parameter> namedParameters() {
        List<Parameter> out = new ArrayList<>();
        collect("", out, false);
        return out;
    }

    /** The parameter tensors, in the order of {@link #namedParameters()}. */
    public final List<Tensor> parameters() {
        List<Tensor> out = new ArrayList<>();
        for (Parameter p : namedParameters()) {
            out.add(p.value());
        }
        return out;
    }

    private void collect(String prefix, List<Parameter> out, boolean withBuffers) {
        parameters.forEach((n, t) -> out.add(new Parameter(prefix + n, t)));
        if (withBuffers) {
            buffers.forEach((n, t) -> out.add(new Parameter(prefix + n, t)));
        }
        children.forEach((n, m) -> m.collect(prefix + n + ".", out, withBuffers));
    }

    /** This module ("" ) and every descendant, with dotted names, in registration order. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String name, Map<String, Module> out) {
        out.put(name, this);
        children.forEach((n, m) -> m.collectModules(name.isEmpty() ? n : name + "." + n, out));
    }

    /** Parameters and buffers by dotted name: what a checkpoint holds. The tensors are live, not copies. */
    public final Map<String, Tensor> stateDict() {
        List<Parameter> all = new ArrayList<>();
        collect("", all, true);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Parameter p : all) {
            out.put(p.name(), p.value());
        }
        return out;
    }

    /**
     * Copies values into this module's tensors (in place, so optimizers keep their references).
     * Every key must match, with the same shape: missing or unexpected names and shape
     * differences are reported together, and nothing is changed when any is found.
     */
    public final void loadStateDict(Map<String, Tensor> state) {
        Map<String, Tensor> own = stateDict();
        List<String> problems = new ArrayList<>();
        TreeSet<String> missing = new TreeSet<>(own.keySet());
        missing.removeAll(state.keySet());
        TreeSet<String> unexpected = new TreeSet<>(state.keySet());
        unexpected.removeAll(own.keySet());
        if (!missing.isEmpty()) {
            problems.add("missing " + missing);
        }
        if (!unexpected.isEmpty()) {
            problems.add("unexpected " + unexpected);
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src != null && !Arrays.equals(src.shape(), e.getValue().shape())) {
                problems.add(e.getKey() + ": shape " + Shape.str(src.shape()) + " in state, " + Shape.str(e.getValue().shape()) + " in model");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("loadStateDict(" + getClass().getSimpleName() + "): " + String.join("; ", problems));
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            float[] src = state.get(e.getKey()).data();
            System.arraycopy(src, 0, e.getValue().data(), 0, src.length);
        }
    }

    /** Clears the gradients of every parameter. */
    public final void zeroGrad() {
        for (Tensor t : parameters()) {
            t.zeroGrad();
        }
    }

    /** Switches training behaviour (dropout) on or off for this module and its children. */
    public final void train(boolean on) {
        training = on;
        children.values().forEach(c -> c.train(on));
    }

    /** Same as {@code train(false)}. */
    public final void eval() {
        train(false);
    }

    /** Whether the module is in training mode (dropout on, quantizer calibration running). */
    public final boolean isTraining() {
        return training;
    }

    /** Number of trainable scalars. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor t : parameters()) {
            n += t.numel();
        }
        return n;
    }
}
