package ttq.model.tt;

import java.util.Arrays;
import java.util.Random;
import ttq.engine.Tensor;

/** Shared checks and initialisation for tensor-train layers. */
final class TtShapes {
    private TtShapes() {
    }

    static int product(int[] modes) {
        long p = 1;
        for (int m : modes) {
            p *= m;
        }
        if (p > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("modes " + Arrays.toString(modes) + " multiply past 2^31");
        }
        return (int) p;
    }

    static void checkModes(String what, int[] modes) {
        if (modes == null || modes.length == 0) {
            throw new IllegalArgumentException(what + ": needs at least one mode");
        }
        for (int m : modes) {
            if (m < 1) {
                throw new IllegalArgumentException(what + ": modes must be >= 1, got " + Arrays.toString(modes));
            }
        }
    }

    /** Bond ranks r_1..r_{cores-1}: one value for all bonds, or one per bond. */
    static int[] bondRanks(String what, int[] ranks, int cores) {
        int bonds = cores - 1;
        int[] r = new int[bonds];
        if (ranks.length == 1) {
            Arrays.fill(r, ranks[0]);
        } else if (ranks.length == bonds) {
            r = ranks.clone();
        } else {
            throw new IllegalArgumentException(what + ": " + ranks.length + " ranks given; need 1 or " + bonds + " (one per bond)");
        }
        for (int x : r) {
            if (x < 1) {
                throw new IllegalArgumentException(what + ": ranks must be >= 1, got " + Arrays.toString(ranks));
            }
        }
        return r;
    }

    /**
     * Standard deviation of i.i.d. normal core entries that gives the reconstructed matrix the
     * target variance: each W entry sums prod(bond ranks) products of one entry per core, so
     * Var(W) = sigma^(2 * cores) * prod(ranks).
     */
    static double coreStd(double targetVariance, int[] bondRanks, int cores) {
        double logProd = 0;
        for (int r : bondRanks) {
            logProd += Math.log(r);
        }
        return Math.exp(0.5 * (Math.log(targetVariance) - logProd) / cores);
    }

    static Tensor normal(Random random, double std, int... shape) {
        return Tensor.normal(random, (float) std, shape);
    }
}
