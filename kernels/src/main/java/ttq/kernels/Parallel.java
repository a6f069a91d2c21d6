package ttq.kernels;

/**
 * Splits large elementwise loops over the machine's cores ({@link WorkerTeam}: the caller runs
 * part 0, spinning workers the rest). Small ranges run inline: a hand-off costs microseconds, so
 * only work above {@link #GRAIN} elements is split. {@link Blas} splits large GEMMs over the same
 * team (OpenBLAS runs single-threaded); a section started inside a parallel body runs inline.
 */
public final class Parallel {
    /** Below this many elements a loop runs on the calling thread. */
    public static final int GRAIN = 1 << 16;

    private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());
    private static final WorkerTeam TEAM = THREADS > 1 ? new WorkerTeam(THREADS - 1) : null;
    /** Parts a section may use now (1 .. THREADS): {@link #setThreads}, for thread-scaling benchmarks. */
    private static volatile int limit = THREADS;

    /** Told of every part a worker thread ran (thread id, start and end in System.nanoTime), for a profiler's trace. */
    @FunctionalInterface
    public interface PartListener {
        void part(long threadId, long startNanos, long endNanos);
    }

    private static volatile PartListener partListener;

    /** Sets (or, with null, removes) the listener told of every part a worker runs; one at a time. */
    public static void setPartListener(PartListener listener) {
        partListener = listener;
    }

    static PartListener partListener() {
        return partListener;
    }

    /** A loop body over the element range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private Parallel() {
    }

    /** Threads a parallel section uses (the cores, unless {@link #setThreads} lowered it). */
    public static int threads() {
        return limit;
    }

    /**
     * Uses at most n threads (1 .. cores; clamped) in later sections, GEMMs included (for
     * thread-scaling benchmarks).
     */
    public static void setThreads(int n) {
        limit = Math.max(1, Math.min(THREADS, n));
    }

    /** Runs body over [0, n), in parallel chunks when n is large. */
    public static void forRange(int n, RangeBody body) {
        if (n <= 0) {
            return;
        }
        if (TEAM == null || n < 2 * GRAIN) {
            body.run(0, n);
            return;
        }
        split(body, n, Math.min(limit, n / GRAIN));
    }

    /**
     * Runs body over rows [0, rows) where each row holds rowSize elements: split over cores when the
     * total work is large and there are at least two rows.
     */
    public static void forRows(int rows, int rowSize, RangeBody body) {
        if (rows <= 0) {
            return;
        }
        long work = (long) rows * Math.max(1, rowSize);
        if (TEAM == null || rows < 2 || work < 2L * GRAIN) {
            body.run(0, rows);
            return;
        }
        split(body, rows, (int) Math.min(Math.min(limit, rows), work / GRAIN));
    }

    /**
     * Runs body(0) .. body(chunks - 1), one task per chunk, in parallel whenever there are two or
     * more (the caller has already judged the work large enough to split).
     */
    public static void forChunks(int chunks, java.util.function.IntConsumer body) {
        if (chunks <= 0) {
            return;
        }
        RangeBody each = (from, to) -> {
            for (int c = from; c < to; c++) {
                body.accept(c);
            }
        };
        if (TEAM == null) {
            each.run(0, chunks);
        } else {
            split(each, chunks, Math.min(chunks, limit));
        }
    }

    /** Runs body over [0, n) in {@code chunks} parts on the worker team (inline when it is busy). */
    private static void split(RangeBody body, int n, int chunks) {
        if (chunks <= 1 || limit == 1 || !TEAM.tryRun(body, n, Math.min(chunks, TEAM.size()))) {
            body.run(0, n);
        }
    }
}
