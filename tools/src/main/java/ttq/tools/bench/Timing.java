package ttq.tools.bench;

import java.util.Arrays;

/** Wall-clock timing helpers: warm up, then take the median of repeated measurements. */
public final class Timing {
    private Timing() {
    }

    /** Median nanoseconds of one call of each of two workloads, measured in alternation so drift hits both alike. */
    public static double[] medianPair(Runnable a, Runnable b, int warmup, int rounds) {
        for (int i = 0; i < warmup; i++) {
            a.run();
            b.run();
        }
        long[] ta = new long[rounds], tb = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            a.run();
            long t1 = System.nanoTime();
            b.run();
            long t2 = System.nanoTime();
            ta[i] = t1 - t0;
            tb[i] = t2 - t1;
        }
        return new double[] {median(ta), median(tb)};
    }

    /** Median nanoseconds per call of a workload. */
    public static double median(Runnable a, int warmup, int rounds) {
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

    static double median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }
}
