package ttq.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * Splits large elementwise loops over the machine's cores. Small ranges run inline: a fork costs
 * microseconds, so only work above {@link #GRAIN} elements is split. Never call BLAS from inside
 * a parallel body (OpenBLAS has its own threads).
 */
public final class Parallel {
    /** Below this many elements a loop runs on the calling thread. */
    public static final int GRAIN = 1 << 16;

    private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;

    /** A loop body over the element range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private Parallel() {
    }

    public static int threads() {
        return THREADS;
    }

    /** Runs body over [0, n), in parallel chunks when n is large. */
    public static void forRange(int n, RangeBody body) {
        if (n <= 0) {
            return;
        }
        if (POOL == null || n < 2 * GRAIN || (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == POOL)) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(THREADS, n / GRAIN);
        POOL.invoke(new Chunk(body, n, chunks, 0, chunks));
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
        if (POOL == null || rows < 2 || work < 2L * GRAIN || (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == POOL)) {
            body.run(0, rows);
            return;
        }
        int chunks = (int) Math.min(Math.min(THREADS, rows), work / GRAIN);
        POOL.invoke(new Chunk(body, rows, chunks, 0, chunks));
    }

    /**
     * Runs body(0) .. body(chunks - 1), one task per chunk, in parallel whenever there are two or
     * more (the caller has already judged the work large enough to split).
     */
    public static void forChunks(int chunks, java.util.function.IntConsumer body) {
        if (chunks <= 0) {
            return;
        }
        if (POOL == null || chunks == 1 || (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == POOL)) {
            for (int c = 0; c < chunks; c++) {
                body.accept(c);
            }
            return;
        }
        POOL.invoke(new Chunk((from, to) -> {
            for (int c = from; c < to; c++) {
                body.accept(c);
            }
        }, chunks, chunks, 0, chunks));
    }

    private static final class Chunk extends RecursiveAction {
        private final RangeBody body;
        private final int n, chunks, lo, hi;

        Chunk(RangeBody body, int n, int chunks, int lo, int hi) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                body.run((int) ((long) n * lo / chunks), (int) ((long) n * hi / chunks));
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunk(body, n, chunks, lo, mid), new Chunk(body, n, chunks, mid, hi));
        }
    }
}
