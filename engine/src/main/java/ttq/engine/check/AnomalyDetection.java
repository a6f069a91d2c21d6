package ttq.engine.check;

import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;

/**
 * Anomaly detection (PyTorch's {@code detect_anomaly}): while on, every recorded op's forward output
 * and every gradient its backward returns is checked for NaN and infinity, and the first one found
 * stops the computation with an {@link AnomalyException} naming the op, the module whose forward
 * ran it, the pass, and the shapes. Off by default: each check reads the whole tensor once more.
 *
 * <p>Module paths come from the root given to {@link #enable(Module)} ("block0.attention.query");
 * modules outside it (or with {@link #enable(boolean)}) are named by their class.
 */
public final class AnomalyDetection {
    private static volatile boolean enabled;
    private static volatile Map<Object, String> paths = new IdentityHashMap<>();
    private static final ThreadLocal<ArrayDeque<String>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private AnomalyDetection() {
    }

    /** Turns detection on or off (module paths from class names). */
    public static void enable(boolean on) {
        enabled = on;
    }

    /** Turns detection on with module paths under {@code root}. */
    public static void enable(Module root) {
        Map<Object, String> p = new IdentityHashMap<>();
        p.put(root, root.getClass().getSimpleName());
        root.namedModules().forEach((name, m) -> p.put(m, name));
        paths = p;
        enabled = true;
    }

    /** Whether detection is on. */
    public static boolean enabled() {
        return enabled;
    }

    /** Enters a module's forward (called by {@link Profiler#module}); the returned scope leaves it. */
    public static Profiler.Scope enter(Object module) {
        if (!enabled) {
            return null;
        }
        ArrayDeque<String> stack = STACK.get();
        stack.push(paths.getOrDefault(module, module.getClass().getSimpleName()));
        return stack::pop;
    }

    /** The module whose forward is running on this thread ("" outside every module). */
    public static String currentModule() {
        String m = STACK.get().peek();
        return m == null ? "" : m;
    }

    /** Throws when {@code out}, the forward result of op {@code op} with {@code inputs}, holds a NaN or an infinity. */
    public static void checkForward(String op, String module, Tensor out, Tensor... inputs) {
        int bad = firstNonFinite(out);
        if (bad < 0) {
            return;
        }
        StringBuilder in = new StringBuilder();
        String origin = "";
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == null) {
                continue;
            }
            in.append(in.length() == 0 ? "" : ", ").append(Shape.str(inputs[i].shape()));
            if (origin.isEmpty() && firstNonFinite(inputs[i]) >= 0) {
                origin = "; input " + i + " was already non-finite (it came from outside the recorded graph: data, a parameter, or an op "
                        + "run without gradients)";
            }
        }
        throw new AnomalyException(op, module, "forward", String.format(java.util.Locale.ROOT, "output %s holds %s at flat index %d; inputs %s%s",
                Shape.str(out.shape()), describe(out.data()[bad]), bad, in, origin));
    }

    /** Throws when the gradient {@code grad} that op {@code op}'s backward returned for input {@code index} is not finite. */
    public static void checkBackward(String op, String module, int index, Tensor grad, Tensor gradOutput) {
        int bad = firstNonFinite(grad);
        if (bad < 0) {
            return;
        }
        throw new AnomalyException(op, module, "backward", String.format(java.util.Locale.ROOT,
                "gradient of input %d %s holds %s at flat index %d; incoming gradient %s%s", index, Shape.str(grad.shape()),
                describe(grad.data()[bad]), bad, Shape.str(gradOutput.shape()), firstNonFinite(gradOutput) >= 0 ? " (already non-finite)" : ""));
    }

    private static String describe(float v) {
        return Float.isNaN(v) ? "NaN" : v > 0 ? "+Infinity" : "-Infinity";
    }

    private static int firstNonFinite(Tensor t) {
        float[] d = t.data();
        for (int i = 0, n = t.numel(); i < n; i++) {
            if (!Float.isFinite(d[i])) {
                return i;
            }
        }
        return -1;
    }
}
