package ttq.engine;

/**
 * Whether operations record the graph for backward. {@code try (var g = GradMode.noGrad()) {...}}
 * disables recording for inference or parameter updates, as PyTorch's {@code torch.no_grad()}.
 * The flag is per thread.
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {
    }

    /** Whether operations on this thread record the graph for backward (false inside {@code noGrad}). */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Disables graph recording until the returned scope is closed (then restores the previous state). */
    public static Scope noGrad() {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = false;
        return () -> flag[0] = previous;
    }

    /** A scope that restores the previous grad mode when closed. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
