package ttq.engine.grad;

import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import ttq.engine.Shape;
import ttq.engine.check.DoubleTensor;

/** Random shapes and values for the gradient properties. */
final class Gen {
    private Gen() {
    }

    /** Shapes of rank in [minRank, maxRank] with dims in [minDim, maxDim]. */
    static Arbitrary<int[]> shape(int minRank, int maxRank, int minDim, int maxDim) {
        return Arbitraries.integers().between(minDim, maxDim).array(int[].class).ofMinSize(minRank).ofMaxSize(maxRank);
    }

    /** Two shapes that broadcast together: the second drops leading dims and sets some to 1 (roles may swap). */
    static Arbitrary<int[][]> broadcastPair(int maxRank) {
        return Combinators.combine(shape(0, maxRank, 1, 4), Arbitraries.longs()).as((full, seed) -> {
            Random r = new Random(seed);
            int drop = full.length == 0 ? 0 : r.nextInt(full.length + 1);
            int[] other = new int[full.length - drop];
            for (int i = 0; i < other.length; i++) {
                other[i] = r.nextInt(3) == 0 ? 1 : full[i + drop];
            }
            return r.nextBoolean() ? new int[][] {full, other} : new int[][] {other, full};
        });
    }

    /** Uniform values in [lo, hi) with a random sign when signed. */
    static DoubleTensor values(Random r, int[] shape, double lo, double hi, boolean signed) {
        double[] v = new double[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * r.nextDouble();
            if (signed && r.nextBoolean()) {
                v[i] = -v[i];
            }
        }
        return new DoubleTensor(v, shape);
    }

    /** Standard-normal values. */
    static DoubleTensor normal(Random r, int... shape) {
        double[] v = new double[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        return new DoubleTensor(v, shape);
    }

    /** A random subset of axes of a rank (possibly empty = all axes). */
    static int[] axes(Random r, int rank) {
        int[] tmp = new int[rank];
        int n = 0;
        for (int i = 0; i < rank; i++) {
            if (r.nextBoolean()) {
                tmp[n++] = r.nextBoolean() ? i : i - rank; // also exercise negative axes
            }
        }
        return java.util.Arrays.copyOf(tmp, n);
    }

    /** A random permutation of [0, n). */
    static int[] permutation(Random r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
