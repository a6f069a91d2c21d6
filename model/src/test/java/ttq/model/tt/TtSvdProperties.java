package ttq.model.tt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import ttq.engine.Tensor;

/**
 * Properties of TT-SVD over random tensors (K = 2..5 modes of size 1..5, random rank caps and
 * tolerances): the Oseledets error bound, exactness without truncation, the relative tolerance,
 * rank caps and bounds, and the TT-layer / TTM conventions.
 */
class TtSvdProperties {

    private static final int TRIES = 300;

    /** A random problem: modes, a dense tensor (dense noise or a noisy low-rank TT), rank caps. */
    private record Case(int[] modes, double[] tensor, int[] maxRanks) {
        @Override
        public String toString() {
            return "Case[modes=" + Arrays.toString(modes) + ", maxRanks=" + Arrays.toString(maxRanks) + "]";
        }
    }

    private static Case randomCase(long seed, int k, boolean capped) {
        Random rnd = new Random(seed);
        int[] modes = new int[k];
        for (int i = 0; i < k; i++) {
            modes[i] = 1 + rnd.nextInt(5);
        }
        int total = Arrays.stream(modes).reduce(1, (x, y) -> x * y);
        double[] a;
        if (rnd.nextBoolean()) {
            a = rnd.doubles(total).map(x -> 2 * x - 1).toArray();
        } else {
            // A low-rank TT plus a little noise: singular values that decay, so tolerances bite.
            int[] ranks = new int[k + 1];
            ranks[0] = 1;
            ranks[k] = 1;
            for (int i = 1; i < k; i++) {
                ranks[i] = 1 + rnd.nextInt(3);
            }
            a = TtSvd.reconstructDouble(TtSvdTest.randomCores(rnd, modes, ranks));
            double noise = Math.pow(10, -1 - 4 * rnd.nextDouble());
            for (int i = 0; i < a.length; i++) {
                a[i] += noise * rnd.nextGaussian();
            }
        }
        if (rnd.nextInt(8) == 0) {
            double scale = Math.pow(10, -3 + 6 * rnd.nextDouble());
            for (int i = 0; i < a.length; i++) {
                a[i] *= scale;
            }
        }
        int[] maxRanks = null;
        if (capped) {
            maxRanks = new int[k - 1];
            for (int i = 0; i < k - 1; i++) {
                maxRanks[i] = 1 + rnd.nextInt(6);
            }
        }
        return new Case(modes, a, maxRanks);
    }

    @Provide
    Arbitrary<Double> tolerances() {
        return Arbitraries.oneOf(Arbitraries.of(0.0, 1e-6, 0.1), Arbitraries.doubles().between(0.0, 1.0));
    }

    private static double norm(double[] x) {
        return TtSvdTest.norm(x);
    }

    // ------------------------------------------------------------------ error bound

    @Property(tries = TRIES)
    void doublePrecisionErrorMeetsOseledetsBound(@ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int k,
            @ForAll boolean capped, @ForAll("tolerances") double eps) {
        Case c = randomCase(seed, k, capped);
        TtSvd.Exact exact = TtSvd.decomposeExact(c.tensor(), c.modes(), c.maxRanks(), eps);
        double err = TtSvdTest.diffNorm(c.tensor(), exact.reconstruct());
        double bound = exact.discardedNorm();
        assertTrue(err <= bound * (1 + 1e-6) + 1e-9, c + ": error " + err + " > bound " + bound);
        // The step errors are mutually orthogonal, so the bound is attained: ||A - A_TT||^2 = sum sigma^2.
        double normSq = exact.frobeniusNorm() * exact.frobeniusNorm();
        assertEquals(bound * bound, err * err, 1e-9 * normSq + 1e-18, c + ": error^2 vs discarded^2");
        assertEquals(norm(c.tensor()), exact.frobeniusNorm(), 1e-12 * exact.frobeniusNorm());
    }

    @Property(tries = TRIES)
    void floatCoresErrorMeetsBoundUpToFloatRounding(@ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int k,
            @ForAll boolean capped, @ForAll("tolerances") double eps) {
        Case c = randomCase(seed, k, capped);
        TtDecomposition dec = TtSvd.decompose(c.tensor(), c.modes(), c.maxRanks(), eps);
        double err = TtSvdTest.diffNorm(c.tensor(), TtSvd.reconstructDouble(dec.cores()));
        // float32 cores add a rounding error of order 1e-7 * ||A||.
        double bound = dec.discardedNorm() * (1 + 1e-6) + 1e-5 * dec.frobeniusNorm() + 1e-9;
        assertTrue(err <= bound, c + ": error " + err + " > " + bound + " (discarded " + dec.discardedNorm() + ")");
    }

    @Property(tries = TRIES)
    void exactWithoutTruncation(@ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int k) {
        Case c = randomCase(seed, k, false);
        TtDecomposition dec = TtSvd.decompose(c.tensor(), c.modes(), null, 0.0);
        double n = norm(c.tensor());
        assertTrue(dec.discardedNorm() <= 1e-12 * n, c + ": discarded " + dec.discardedNorm());
        double err = TtSvdTest.diffNorm(c.tensor(), TtSvd.reconstructDouble(dec.cores()));
        assertTrue(err <= 1e-5 * n, c + ": relative error " + err / n);
        // The float-valued full tensor from reconstruct() agrees too.
        Tensor full = TtSvd.reconstruct(dec.cores());
        assertArrayEquals(c.modes(), full.shape());
        double errF = TtSvdTest.diffNorm(c.tensor(), TtSvdTest.toDouble(full.data()));
        assertTrue(errF <= 1e-5 * n, c + ": relative error (float tensor) " + errF / n);
    }

    // ------------------------------------------------------------------ tolerance, ranks

    @Property(tries = TRIES)
    void relativeToleranceIsHonoured(@ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int k,
            @ForAll("tolerances") double eps) {
        Case c = randomCase(seed, k, false);
        double n = norm(c.tensor());
        TtSvd.Exact exact = TtSvd.decomposeExact(c.tensor(), c.modes(), null, eps);
        assertTrue(exact.discardedNorm() <= eps * n * (1 + 1e-12), c + ": discarded " + exact.discardedNorm()
                + " > eps ||A|| = " + eps * n);
        double errD = TtSvdTest.diffNorm(c.tensor(), exact.reconstruct());
        assertTrue(errD <= (eps + 1e-9) * n, c + ": relative error " + errD / n + " > " + eps);
        TtDecomposition dec = TtSvd.decompose(c.tensor(), c.modes(), null, eps);
        double errF = TtSvdTest.diffNorm(c.tensor(), TtSvd.reconstructDouble(dec.cores()));
        assertTrue(errF <= (eps + 1e-5) * n, c + ": relative error (float cores) " + errF / n + " > " + eps);
        assertTrue(dec.relativeErrorBound() <= eps * (1 + 1e-12));
    }

    @Property(tries = TRIES)
    void tenPercentToleranceGivesAtMostTenPercentError(@ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int k) {
        Case c = randomCase(seed, k, false);
        TtDecomposition dec = TtSvd.decompose(c.tensor(), c.modes(), null, 0.1);
        double n = norm(c.tensor());
        double err = TtSvdTest.diffNorm(c.tensor(), TtSvd.reconstructDouble(dec.cores()));
        assertTrue(err <= 0.1 * n * (1 + 1e-5), c + ": relative error " + err / n);
    }

    @Property(tries = TRIES)
    void ranksRespectCapsAndFullRankBounds(@ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int k,
            @ForAll boolean capped, @ForAll("tolerances") double eps) {
        Case c = randomCase(seed, k, capped);
        TtDecomposition dec = TtSvd.decompose(c.tensor(), c.modes(), c.maxRanks(), eps);
        int[] r = dec.ranks();
        assertEquals(k + 1, r.length);
        assertEquals(1, r[0]);
        assertEquals(1, r[k]);
        assertEquals(k, dec.cores().size());
        for (int i = 0; i < k; i++) {
            assertArrayEquals(new int[] {r[i], c.modes()[i], r[i + 1]}, dec.cores().get(i).shape(), c + ": core " + i);
        }
        for (int b = 1; b < k; b++) {
            long left = 1;
            long right = 1;
            for (int i = 0; i < b; i++) {
                left *= c.modes()[i];
            }
            for (int i = b; i < k; i++) {
                right *= c.modes()[i];
            }
            assertTrue(r[b] >= 1);
            assertTrue(r[b] <= Math.min(left, right), c + ": rank " + b + " = " + r[b] + " exceeds full rank bound");
            if (c.maxRanks() != null) {
                assertTrue(r[b] <= c.maxRanks()[b - 1], c + ": rank " + b + " = " + r[b] + " exceeds cap");
            }
        }
    }

    @Property(tries = 100)
    void knownLowRankTtIsRecovered(@ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int k) {
        Random rnd = new Random(seed);
        int[] modes = new int[k];
        int[] ranks = new int[k + 1];
        ranks[0] = 1;
        ranks[k] = 1;
        for (int i = 0; i < k; i++) {
            modes[i] = 1 + rnd.nextInt(5);
        }
        for (int i = 1; i < k; i++) {
            ranks[i] = 1 + rnd.nextInt(4);
        }
        double[] a = TtSvd.reconstructDouble(TtSvdTest.randomCores(rnd, modes, ranks));
        TtDecomposition dec = TtSvd.decompose(a, modes, null, 1e-10);
        for (int i = 1; i < k; i++) {
            assertTrue(dec.rank(i) <= ranks[i], "modes " + Arrays.toString(modes) + ": recovered ranks "
                    + Arrays.toString(dec.ranks()) + " exceed true " + Arrays.toString(ranks));
        }
        double n = norm(a);
        double err = TtSvdTest.diffNorm(a, TtSvd.reconstructDouble(dec.cores()));
        assertTrue(err <= 1e-5 * n, "relative error " + err / n);
    }

    // ------------------------------------------------------------------ layer conventions

    private static int[] randomModes(Random rnd, int d) {
        int[] m = new int[d];
        for (int i = 0; i < d; i++) {
            m[i] = 1 + rnd.nextInt(4);
        }
        return m;
    }

    @Property(tries = 100)
    void ttLayerMatchesIndependentFormula(@ForAll long seed, @ForAll @IntRange(min = 1, max = 3) int d) {
        Random rnd = new Random(seed);
        int[] outModes = randomModes(rnd, d);
        int[] inModes = randomModes(rnd, d);
        int[] modes = new int[2 * d];
        System.arraycopy(outModes, 0, modes, 0, d);
        System.arraycopy(inModes, 0, modes, d, d);
        int[] ranks = new int[2 * d + 1];
        Arrays.fill(ranks, 1);
        for (int i = 1; i < 2 * d; i++) {
            ranks[i] = 1 + rnd.nextInt(3);
        }
        List<Tensor> cores = TtSvdTest.randomCores(rnd, modes, ranks);
        double[] w = TtSvdTest.flatten(TtSvdTest.ttLayerMatrix(cores, outModes, inModes));
        TtSvdTest.assertRelClose(w, TtSvd.reconstructMatrixDouble(cores), 1e-12, "cores -> W");

        int m = Arrays.stream(outModes).reduce(1, (x, y) -> x * y);
        int n = Arrays.stream(inModes).reduce(1, (x, y) -> x * y);
        float[] wf = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            wf[i] = (float) w[i];
        }
        TtDecomposition dec = TtSvd.tt(Tensor.wrap(wf, m, n), outModes, inModes, null, 1e-12);
        Tensor back = TtSvd.reconstructMatrix(dec.cores());
        assertArrayEquals(new int[] {m, n}, back.shape());
        TtSvdTest.assertRelClose(w, TtSvdTest.toDouble(back.data()), 1e-5, "tt round trip");
        // W was rounded to float: a tolerance above float rounding recovers ranks no larger than the true ones.
        TtDecomposition low = TtSvd.tt(Tensor.wrap(wf, m, n), outModes, inModes, null, 1e-6);
        for (int i = 1; i < 2 * d; i++) {
            assertTrue(low.rank(i) <= ranks[i], Arrays.toString(low.ranks()) + " vs " + Arrays.toString(ranks));
        }
        TtSvdTest.assertRelClose(w, TtSvd.reconstructMatrixDouble(low.cores()), 1e-5, "tt round trip, eps 1e-6");
    }

    @Property(tries = 100)
    void ttmMatchesIndependentFormula(@ForAll long seed, @ForAll @IntRange(min = 1, max = 3) int d) {
        Random rnd = new Random(seed);
        int[] rowModes = randomModes(rnd, d);
        int[] colModes = randomModes(rnd, d);
        int[] ranks = new int[d + 1];
        Arrays.fill(ranks, 1);
        for (int i = 1; i < d; i++) {
            ranks[i] = 1 + rnd.nextInt(4);
        }
        List<Tensor> cores = new ArrayList<>();
        for (int i = 0; i < d; i++) {
            cores.add(Tensor.normal(rnd, 1f, ranks[i], rowModes[i], colModes[i], ranks[i + 1]));
        }
        double[] w = TtSvdTest.flatten(TtSvdTest.ttmMatrix(cores, rowModes, colModes));
        TtSvdTest.assertRelClose(w, TtSvd.reconstructMatrixDouble(cores), 1e-12, "ttm cores -> W");

        int m = Arrays.stream(rowModes).reduce(1, (x, y) -> x * y);
        int n = Arrays.stream(colModes).reduce(1, (x, y) -> x * y);
        float[] wf = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            wf[i] = (float) w[i];
        }
        TtDecomposition dec = TtSvd.ttm(Tensor.wrap(wf, m, n), rowModes, colModes, null, 1e-12);
        for (int i = 0; i < d; i++) {
            int[] s = dec.cores().get(i).shape();
            assertArrayEquals(new int[] {dec.rank(i), rowModes[i], colModes[i], dec.rank(i + 1)}, s);
        }
        TtDecomposition low = TtSvd.ttm(Tensor.wrap(wf, m, n), rowModes, colModes, null, 1e-6);
        for (int i = 1; i < d; i++) {
            assertTrue(low.rank(i) <= ranks[i], Arrays.toString(low.ranks()) + " vs " + Arrays.toString(ranks));
        }
        TtSvdTest.assertRelClose(w, TtSvd.reconstructMatrixDouble(low.cores()), 1e-5, "ttm round trip, eps 1e-6");
        Tensor back = TtSvd.reconstructMatrix(dec.cores());
        assertArrayEquals(new int[] {m, n}, back.shape());
        TtSvdTest.assertRelClose(w, TtSvdTest.toDouble(back.data()), 1e-5, "ttm round trip");
        TtSvdTest.assertRelClose(w, TtSvdTest.flatten(TtSvdTest.ttmMatrix(dec.cores(), rowModes, colModes)), 1e-5,
                "formula on decomposed ttm cores");
    }
}
