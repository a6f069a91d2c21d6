package ttq.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import ttq.engine.profile.Profiler;

/**
 * Reverse-mode differentiation: visits the graph below a tensor in reverse topological order,
 * calls each node's backward once with the summed gradient of its output, accumulates into the
 * {@code grad} of leaf tensors, and frees each node right after its backward.
 */
public final class Autograd {
    private Autograd() {
    }

    /**
     * Turns anomaly detection on or off for every thread ({@link ttq.engine.check.AnomalyDetection}):
     * each recorded op's output and each gradient checked for NaN and infinity, the first one found
     * thrown as an {@link ttq.engine.check.AnomalyException} naming op, module and pass.
     */
    public static void detectAnomaly(boolean on) {
        ttq.engine.check.AnomalyDetection.enable(on);
    }

    /** Backpropagates {@code gradOutput} (same shape as root) from root. */
    public static void backward(Tensor root, Tensor gradOutput) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward on a tensor that does not require grad (shape "
                    + Shape.str(root.shape()) + "): no input of its graph has requiresGrad, or it was built under noGrad");
        }
        if (!Arrays.equals(root.shape(), gradOutput.shape())) {
            throw new IllegalArgumentException("backward: gradient shape " + Shape.str(gradOutput.shape())
                    + " differs from the tensor's shape " + Shape.str(root.shape()));
        }
        List<Tensor> order = topologicalOrder(root);
        // arrays a leaf may keep as its gradient without copying: made during this pass, not the
        // caller's gradient, and not already kept by another leaf
        Map<float[], Boolean> kept = new IdentityHashMap<>();
        kept.put(gradOutput.data(), Boolean.TRUE);
        Map<Tensor, Tensor> pending = new IdentityHashMap<>();
        pending.put(root, gradOutput);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int k = order.size() - 1; k >= 0; k--) {
                Tensor t = order.get(k);
                Tensor g = pending.remove(t);
                if (g == null) {
                    continue;
                }
                Function fn = t.gradFn();
                if (fn == null) {
                    boolean exclusive = kept.put(g.data(), Boolean.TRUE) == null;
                    t.accumulateGrad(g, exclusive);
                    continue;
                }
                Tensor[] inputs = fn.inputs();
                boolean profiling = Profiler.running();
                if (profiling) {
                    Profiler.backwardStart();
                }
                Tensor[] grads = fn.runBackward(g);
                if (ttq.engine.check.AnomalyDetection.enabled()) {
                    for (int i = 0; i < grads.length; i++) {
                        if (grads[i] != null) {
                            ttq.engine.check.AnomalyDetection.checkBackward(fn.name(), fn.anomalyModule() == null ? "" : fn.anomalyModule(), i,
                                    grads[i], g);
                        }
                    }
                }
                if (profiling) {
                    Profiler.backwardDone(fn.name(), fn.profilePath());
                }
                for (int i = 0; i < inputs.length; i++) {
                    Tensor in = inputs[i];
                    if (grads[i] == null || in == null || !in.requiresGrad()) {
                        continue;
                    }
                    Tensor prev = pending.get(in);
                    pending.put(in, prev == null ? grads[i] : prev.add(grads[i]));
                }
                fn.release();
            }
        }
    }

    /** Tensors reachable from root that require grad, each after all tensors it depends on. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Map<Tensor, Boolean> visited = new IdentityHashMap<>();
        // iterative post-order DFS: deep graphs (long training chains) must not overflow the stack
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Function fn = t.gradFn();
            Tensor[] inputs = fn == null ? new Tensor[0] : fn.inputs();
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.requiresGrad() && !visited.containsKey(in)) {
                    visited.put(in, Boolean.TRUE);
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
