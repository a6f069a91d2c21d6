package ttq.kernels;

/**
 * Loads our JNI library (and, through it, OpenBLAS) once, remembering why it failed if it did,
 * so callers get one clear message instead of an {@link UnsatisfiedLinkError} deep in a stack.
 */
public final class NativeLibrary {
    /** TTQ_NATIVE_VERSION of native/ttq_kernels.h this Java code expects. */
    static final int VERSION = 5;
    private static final Throwable LOAD_ERROR;

    static {
        Throwable error = null;
        try {
            int version = NativeKernels.ttq_native_version();
            if (version != VERSION) {
                error = new IllegalStateException("native library version " + version + ", expected " + VERSION
                        + " (a stale build: rebuild with ./mvnw install)");
            }
        } catch (Throwable t) {
            error = t;
        }
        LOAD_ERROR = error;
    }

    private NativeLibrary() {
    }

    /** True when the native kernels loaded and answered. */
    public static boolean isLoaded() {
        return LOAD_ERROR == null;
    }

    /** A one-line description of the load status, for {@code ttq info}. */
    public static String status() {
        return LOAD_ERROR == null ? "loaded (ttq native v" + VERSION + ")" : "FAILED: " + LOAD_ERROR;
    }

    /** Throws a clear exception when the native library is unusable. */
    public static void require() {
        if (LOAD_ERROR != null) {
            throw new IllegalStateException("ttq native kernels could not be loaded: " + LOAD_ERROR, LOAD_ERROR);
        }
    }
}
