package ttq.tools.bench;

import java.util.Arrays;

/** Wall-clock timing helpers: warm up, then take the median of repeated measurements. */
public final class Timing {
    private Timing() {
    }

    /**
     * Warm-up before timing: at least this long, so the JIT has compiled the hot paths and the JVM
     * heap has been touched once. On the VMs here a first touch of fresh heap memory costs about
     * 10 microseconds per 4 KiB page (7 ms per 768x768 float array), which would otherwise be
     * measured instead of the steady state of a training loop.
     */
    public static final long WARMUP_NANOS = 3_000_000_000L;

    /**
     * Samples are spread over at least this long: this VM has phases (memory reclaim, neighbours)
     * that slow everything for a fraction of a second, and the median must not fall inside one.
     */
    public static final long MEASURE_NANOS = 2_000_000_000L;

    /** Median nanoseconds of one call of each of two workloads, measured in alternation so drift hits both alike. */
    public static double[] medianPair(Runnable a, Runnable b, int warmup, int rounds) {
        settle();
        long until = System.nanoTime() + WARMUP_NANOS;
        for (int i = 0; i < warmup || System.nanoTime() < until; i++) {
            a.run();
            b.run();
        }
        long[] ta = new long[rounds], tb = new long[rounds];
        int n = 0;
        long end = System.nanoTime() + MEASURE_NANOS;
        while (n < rounds || System.nanoTime() < end) {
            if (n == ta.length) {
                ta = java.util.Arrays.copyOf(ta, 2 * n);
                tb = java.util.Arrays.copyOf(tb, 2 * n);
            }
            long t0 = System.nanoTime();
            a.run();
            long t1 = System.nanoTime();
            b.run();
            long t2 = System.nanoTime();
            ta[n] = t1 - t0;
            tb[n] = t2 - t1;
            n++;
        }
        return new double[] {median(java.util.Arrays.copyOf(ta, n)), median(java.util.Arrays.copyOf(tb, n))};
    }

    /** Median nanoseconds per call of a workload. */
    public static double median(Runnable a, int warmup, int rounds) {
        settle();
        long until = System.nanoTime() + WARMUP_NANOS;
        for (int i = 0; i < warmup || System.nanoTime() < until; i++) {
            a.run();
        }
        long[] t = new long[rounds];
        int n = 0;
        long end = System.nanoTime() + MEASURE_NANOS;
        while (n < rounds || System.nanoTime() < end) {
            if (n == t.length) {
                t = java.util.Arrays.copyOf(t, 2 * n);
            }
            long t0 = System.nanoTime();
            a.run();
            t[n++] = System.nanoTime() - t0;
        }
        return median(java.util.Arrays.copyOf(t, n));
    }

    /** Starts each workload from a collected heap, so garbage of the previous one is not collected on its time. */
    private static void settle() {
        System.gc();
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Median nanoseconds over a fixed number of calls, without time floors (for many short comparisons). */
    public static double quickMedian(Runnable a, int warmup, int rounds) {
        for (int i = 0; i < warmup; i++) {
            a.run();
        }
        long[] t = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            a.run();
            t[i] = System.nanoTime() - t0;
        }
        return median(t);
    }

    /** Fastest of a fixed number of calls (the statistic the PyTorch peers report). */
    public static double quickMin(Runnable a, int warmup, int rounds) {
        for (int i = 0; i < warmup; i++) {
            a.run();
        }
        long best = Long.MAX_VALUE;
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            a.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    static double median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }
}
