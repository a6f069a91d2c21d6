package ttq.model.tt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import ttq.engine.Tensor;

/**
 * Example-based checks of TT-SVD / TTM-SVD: the layer conventions against formulas written out
 * here independently, recovery of known low-rank TTs, degenerate inputs and input validation.
 */
class TtSvdTest {

    // ------------------------------------------------------------------ independent reference formulas

    /** Random 3-D cores [r_k, n_k, r_{k+1}] with the given ranks (r_0 = r_K = 1 included). */
    static List<Tensor> randomCores(Random rnd, int[] modes, int[] ranks) {
        List<Tensor> cores = new ArrayList<>();
        for (int k = 0; k < modes.length; k++) {
            cores.add(Tensor.normal(rnd, 1f, ranks[k], modes[k], ranks[k + 1]));
        }
        return cores;
    }

    /** Row-major digits of idx over modes (first mode most significant). */
    static int[] digits(int idx, int[] modes) {
        int[] out = new int[modes.length];
        for (int k = modes.length - 1; k >= 0; k--) {
            out[k] = idx % modes[k];
            idx /= modes[k];
        }
        return out;
    }

    /** row vector (1 x r) times core[:, i, :] (r x r'), core 3-D. */
    static double[] times(double[] vec, Tensor core, int i) {
        int r = core.dim(0);
        int rNext = core.dim(2);
        assertEquals(vec.length, r);
        double[] out = new double[rNext];
        for (int a = 0; a < r; a++) {
            for (int b = 0; b < rNext; b++) {
                out[b] += vec[a] * core.get(a, i, b);
            }
        }
        return out;
    }

    /** W(i, j) = G_1[:, i_1, :] ... G_d[:, i_d, :] G_{d+1}[:, j_1, :] ... G_{2d}[:, j_d, :]. */
    static double[][] ttLayerMatrix(List<Tensor> cores, int[] outModes, int[] inModes) {
        int d = outModes.length;
        int m = Arrays.stream(outModes).reduce(1, (x, y) -> x * y);
        int n = Arrays.stream(inModes).reduce(1, (x, y) -> x * y);
        double[][] w = new double[m][n];
        for (int i = 0; i < m; i++) {
            int[] ii = digits(i, outModes);
            for (int j = 0; j < n; j++) {
                int[] jj = digits(j, inModes);
                double[] vec = {1.0};
                for (int k = 0; k < d; k++) {
                    vec = times(vec, cores.get(k), ii[k]);
                }
                for (int k = 0; k < d; k++) {
                    vec = times(vec, cores.get(d + k), jj[k]);
                }
                assertEquals(1, vec.length);
                w[i][j] = vec[0];
            }
        }
        return w;
    }

    /** W(i, j) = F_1[:, i_1, j_1, :] ... F_d[:, i_d, j_d, :] for 4-D cores. */
    static double[][] ttmMatrix(List<Tensor> cores, int[] rowModes, int[] colModes) {
        int d = rowModes.length;
        int m = Arrays.stream(rowModes).reduce(1, (x, y) -> x * y);
        int n = Arrays.stream(colModes).reduce(1, (x, y) -> x * y);
        double[][] w = new double[m][n];
        for (int i = 0; i < m; i++) {
            int[] ii = digits(i, rowModes);
            for (int j = 0; j < n; j++) {
                int[] jj = digits(j, colModes);
                double[] vec = {1.0};
                for (int k = 0; k < d; k++) {
                    Tensor f = cores.get(k);
                    double[] next = new double[f.dim(3)];
                    for (int a = 0; a < f.dim(0); a++) {
                        for (int b = 0; b < f.dim(3); b++) {
                            next[b] += vec[a] * f.get(a, ii[k], jj[k], b);
                        }
                    }
                    vec = next;
                }
                w[i][j] = vec[0];
            }
        }
        return w;
    }

    static float[][] toFloat(double[][] w) {
        float[][] out = new float[w.length][];
        for (int i = 0; i < w.length; i++) {
            out[i] = new float[w[i].length];
            for (int j = 0; j < w[i].length; j++) {
                out[i][j] = (float) w[i][j];
            }
        }
        return out;
    }

    static double[] flatten(double[][] w) {
        return Arrays.stream(w).flatMapToDouble(Arrays::stream).toArray();
    }

    static double norm(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    static double diffNorm(double[] a, double[] b) {
        assertEquals(a.length, b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s);
    }

    static double[] toDouble(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i];
        }
        return out;
    }

    static void assertRelClose(double[] expected, double[] actual, double tol, String what) {
        double err = diffNorm(expected, actual);
        double ref = Math.max(norm(expected), 1e-30);
        assertTrue(err <= tol * ref, what + ": relative error " + err / ref + " > " + tol);
    }

    // ------------------------------------------------------------------ layer conventions

    @Test
    void ttLayerConventionMatchesIndependentFormula() {
        Random rnd = new Random(11);
        int[] outModes = {2, 3, 2};
        int[] inModes = {3, 2, 4};
        int[] ranks = {1, 2, 3, 4, 3, 2, 1};
        List<Tensor> cores = randomCores(rnd, concat(outModes, inModes), ranks);
        double[][] w = ttLayerMatrix(cores, outModes, inModes);

        // The library's reconstruction of the cores equals the independent formula.
        Tensor rec = TtSvd.reconstructMatrix(cores);
        assertArrayEquals(new int[] {12, 24}, rec.shape());
        assertRelClose(flatten(w), TtSvd.reconstructMatrixDouble(cores), 1e-12, "reconstructMatrixDouble(cores)");
        assertRelClose(flatten(w), toDouble(rec.data()), 1e-6, "reconstructMatrix(cores)");

        // Decomposing W gives 2d cores, output modes first, that reconstruct W.
        TtDecomposition dec = TtSvd.tt(toFloat(w), outModes, inModes, null, 1e-12);
        assertEquals(6, dec.size());
        int[] modes = concat(outModes, inModes);
        for (int k = 0; k < 6; k++) {
            int[] s = dec.cores().get(k).shape();
            assertEquals(3, s.length);
            assertEquals(modes[k], s[1], "mode of core " + k);
        }
        assertEquals(1, dec.rank(0));
        assertEquals(1, dec.rank(6));
        assertRelClose(flatten(w), toDouble(TtSvd.reconstructMatrix(dec.cores()).data()), 1e-5, "tt round trip");
        // And through the independent formula, too.
        assertRelClose(flatten(w), flatten(ttLayerMatrix(dec.cores(), outModes, inModes)), 1e-5,
                "formula on decomposed cores");

        // W was rounded to float, so a tolerance above float rounding recovers the true ranks.
        TtDecomposition low = TtSvd.tt(toFloat(w), outModes, inModes, null, 1e-6);
        for (int k = 1; k < 6; k++) {
            assertTrue(low.rank(k) <= ranks[k], "rank " + k + " " + Arrays.toString(low.ranks()));
        }
        assertRelClose(flatten(w), TtSvd.reconstructMatrixDouble(low.cores()), 1e-5, "tt round trip, eps 1e-6");
    }

    @Test
    void ttmConventionMatchesIndependentFormula() {
        Random rnd = new Random(12);
        int[] rowModes = {2, 3, 4};
        int[] colModes = {3, 2, 2};
        int[] ranks = {1, 3, 2, 1};
        List<Tensor> cores = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            cores.add(Tensor.normal(rnd, 1f, ranks[k], rowModes[k], colModes[k], ranks[k + 1]));
        }
        double[][] w = ttmMatrix(cores, rowModes, colModes);

        Tensor rec = TtSvd.reconstructMatrix(cores);
        assertArrayEquals(new int[] {24, 12}, rec.shape());
        assertRelClose(flatten(w), TtSvd.reconstructMatrixDouble(cores), 1e-12, "reconstructMatrixDouble(ttm cores)");

        TtDecomposition dec = TtSvd.ttm(Tensor.of(toFloat(w)), rowModes, colModes, null, 1e-12);
        assertEquals(3, dec.size());
        for (int k = 0; k < 3; k++) {
            int[] s = dec.cores().get(k).shape();
            assertEquals(4, s.length);
            assertEquals(rowModes[k], s[1]);
            assertEquals(colModes[k], s[2]);
        }
        assertRelClose(flatten(w), toDouble(TtSvd.reconstructMatrix(dec.cores()).data()), 1e-5, "ttm round trip");
        assertRelClose(flatten(w), flatten(ttmMatrix(dec.cores(), rowModes, colModes)), 1e-5,
                "formula on decomposed ttm cores");

        // Above float rounding, generic cores give back exactly the true ranks.
        TtDecomposition low = TtSvd.ttm(toFloat(w), rowModes, colModes, null, 1e-6);
        assertArrayEquals(ranks, low.ranks());
        assertRelClose(flatten(w), TtSvd.reconstructMatrixDouble(low.cores()), 1e-5, "ttm round trip, eps 1e-6");
    }

    @Test
    void ttAndTtmOrderTheModesDifferently() {
        // A weight that is a Kronecker product A (x) B is TTM-rank 1 but generally not TT-layer-rank 1.
        Random rnd = new Random(13);
        int[] rowModes = {3, 4};
        int[] colModes = {2, 5};
        Tensor a = Tensor.normal(rnd, 1f, 3, 2);
        Tensor b = Tensor.normal(rnd, 1f, 4, 5);
        float[][] w = new float[12][10];
        for (int i = 0; i < 12; i++) {
            for (int j = 0; j < 10; j++) {
                w[i][j] = a.get(i / 4, j / 5) * b.get(i % 4, j % 5);
            }
        }
        TtDecomposition ttm = TtSvd.ttm(w, rowModes, colModes, null, 1e-6);
        assertArrayEquals(new int[] {1, 1, 1}, ttm.ranks());
        assertRelClose(flatten(toDoubleRows(w)), TtSvd.reconstructMatrixDouble(ttm.cores()), 1e-5, "kronecker ttm");
        TtDecomposition tt = TtSvd.tt(w, rowModes, colModes, null, 1e-6);
        assertTrue(tt.rank(1) > 1 || tt.rank(2) > 1, Arrays.toString(tt.ranks()));
        assertRelClose(flatten(toDoubleRows(w)), TtSvd.reconstructMatrixDouble(tt.cores()), 1e-5, "kronecker tt");
    }

    private static double[][] toDoubleRows(float[][] w) {
        double[][] out = new double[w.length][];
        for (int i = 0; i < w.length; i++) {
            out[i] = toDouble(w[i]);
        }
        return out;
    }

    // ------------------------------------------------------------------ known low rank, degenerate cases

    @Test
    void recoversKnownLowRankTt() {
        Random rnd = new Random(14);
        int[] modes = {4, 5, 3, 4, 2};
        int[] ranks = {1, 2, 3, 2, 2, 1};
        List<Tensor> cores = randomCores(rnd, modes, ranks);
        double[] a = TtSvd.reconstructDouble(cores);
        TtDecomposition dec = TtSvd.decompose(a, modes, null, 1e-10);
        assertArrayEquals(ranks, dec.ranks());
        assertRelClose(a, TtSvd.reconstructDouble(dec.cores()), 1e-5, "low-rank recovery");
        assertTrue(dec.discardedNorm() <= 1e-10 * dec.frobeniusNorm());
        assertEquals(norm(a), dec.frobeniusNorm(), 1e-12 * norm(a));
    }

    @Test
    void rankOneTensorHasAllRanksOne() {
        int[] modes = {3, 4, 2, 4};
        double[][] v = {{1, -2, 3}, {0.5, 1, -1, 2}, {2, -3}, {1, 1, -1, 0.25}};
        double[] a = new double[3 * 4 * 2 * 4];
        for (int idx = 0; idx < a.length; idx++) {
            int[] d = digits(idx, modes);
            a[idx] = v[0][d[0]] * v[1][d[1]] * v[2][d[2]] * v[3][d[3]];
        }
        TtDecomposition dec = TtSvd.decompose(a, modes, null, 1e-12);
        assertArrayEquals(new int[] {1, 1, 1, 1, 1}, dec.ranks());
        assertRelClose(a, TtSvd.reconstructDouble(dec.cores()), 1e-6, "rank one");
        Tensor full = TtSvd.reconstruct(dec.cores());
        assertArrayEquals(modes, full.shape());
        assertEquals(1.0 * -1 * 2 * 1, full.get(0, 2, 0, 1), 1e-5);
        assertEquals(-2.0 * 0.5 * -3 * 0.25, full.get(1, 0, 1, 3), 1e-5);
    }

    @Test
    void zeroTensorGivesRankOneAndZeroReconstruction() {
        int[] modes = {3, 2, 4};
        TtDecomposition dec = TtSvd.decompose(new double[24], modes, null, 0.0);
        assertArrayEquals(new int[] {1, 1, 1, 1}, dec.ranks());
        assertEquals(0.0, dec.discardedNorm());
        assertEquals(0.0, dec.frobeniusNorm());
        assertEquals(0.0, dec.relativeErrorBound());
        for (double x : TtSvd.reconstructDouble(dec.cores())) {
            assertEquals(0.0, x);
        }
        TtDecomposition layer = TtSvd.tt(Tensor.zeros(6, 4), new int[] {3, 2}, new int[] {2, 2}, new int[] {2, 2, 2}, 0.1);
        assertArrayEquals(new int[] {1, 1, 1, 1, 1}, layer.ranks());
        TtDecomposition ttm = TtSvd.ttm(Tensor.zeros(6, 4), new int[] {3, 2}, new int[] {2, 2}, null, 0.0);
        assertArrayEquals(new int[] {1, 1, 1}, ttm.ranks());
        for (float x : TtSvd.reconstructMatrix(ttm.cores()).data()) {
            assertEquals(0f, x);
        }
    }

    @Test
    void unitModesSingleModeAndVectorsWork() {
        Random rnd = new Random(15);
        // Single mode: one core [1, n, 1] holding the tensor.
        double[] v = rnd.doubles(7).toArray();
        TtDecomposition one = TtSvd.decompose(v, new int[] {7}, null, 0.5);
        assertEquals(1, one.size());
        assertArrayEquals(new int[] {1, 7, 1}, one.cores().get(0).shape());
        assertEquals(0.0, one.discardedNorm());
        assertRelClose(v, TtSvd.reconstructDouble(one.cores()), 1e-6, "single mode");

        // Modes of size 1, anywhere.
        int[] modes = {1, 3, 1, 4, 1};
        double[] a = rnd.doubles(12).map(x -> x - 0.5).toArray();
        TtDecomposition dec = TtSvd.decompose(a, modes, null, 0.0);
        assertArrayEquals(new int[] {1, 1, 3, 3, 1, 1}, dec.ranks());
        assertRelClose(a, TtSvd.reconstructDouble(dec.cores()), 1e-5, "unit modes");

        // Row vector (M = 1) and column vector (N = 1) layers.
        Tensor row = Tensor.normal(rnd, 1f, 1, 12);
        TtDecomposition r = TtSvd.tt(row, new int[] {1, 1}, new int[] {3, 4}, null, 0.0);
        assertRelClose(toDouble(row.data()), TtSvd.reconstructMatrixDouble(r.cores()), 1e-5, "row vector");
        assertArrayEquals(new int[] {1, 12}, TtSvd.reconstructMatrix(r.cores()).shape());
        Tensor col = Tensor.normal(rnd, 1f, 12, 1);
        TtDecomposition c = TtSvd.ttm(col, new int[] {4, 3}, new int[] {1, 1}, null, 0.0);
        assertRelClose(toDouble(col.data()), TtSvd.reconstructMatrixDouble(c.cores()), 1e-5, "column vector ttm");
        assertArrayEquals(new int[] {12, 1}, TtSvd.reconstructMatrix(c.cores()).shape());
    }

    @Test
    void maxRanksCapAndErrorEqualsDiscardedNorm() {
        Random rnd = new Random(16);
        int[] modes = {4, 4, 4, 4};
        double[] a = rnd.doubles(256).map(x -> 2 * x - 1).toArray();
        TtDecomposition dec = TtSvd.decompose(a, modes, new int[] {2, 3, 2}, 0.0);
        assertArrayEquals(new int[] {1, 2, 3, 2, 1}, dec.ranks());
        double err = diffNorm(a, TtSvd.reconstructDouble(dec.cores()));
        assertTrue(dec.discardedNorm() > 0);
        // Orthogonal projections: the error equals the discarded norm (up to float cores).
        assertEquals(dec.discardedNorm(), err, 1e-5 * dec.frobeniusNorm());
        assertEquals(dec.rank(1) * 4 + 2 * 4 * 3 + 3 * 4 * 2 + 2 * 4, dec.parameterCount());
    }

    @Test
    void fullRankBoundIsNeverExceeded() {
        Random rnd = new Random(17);
        int[] modes = {2, 3, 5, 2};
        double[] a = rnd.doubles(60).toArray();
        TtDecomposition dec = TtSvd.decompose(a, modes, new int[] {100, 100, 100}, 0.0);
        // min(prod left, prod right): min(2, 30), min(6, 10), min(30, 2)
        assertArrayEquals(new int[] {1, 2, 6, 2, 1}, dec.ranks());
    }

    @Test
    void denseSvdReproducesMatrix() {
        Random rnd = new Random(18);
        for (int[] mn : new int[][] {{5, 3}, {3, 5}, {1, 4}, {4, 1}, {1, 1}, {6, 6}}) {
            int m = mn[0];
            int n = mn[1];
            double[] a = rnd.doubles((long) m * n).map(x -> x - 0.5).toArray();
            DenseSvd.Result svd = DenseSvd.compute(a.clone(), m, n);
            int k = Math.min(m, n);
            assertEquals(k, svd.k());
            for (int i = 1; i < k; i++) {
                assertTrue(svd.s()[i - 1] >= svd.s()[i]);
            }
            double[] back = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    for (int t = 0; t < k; t++) {
                        back[i * n + j] += svd.u()[i * k + t] * svd.s()[t] * svd.vt()[t * n + j];
                    }
                }
            }
            assertRelClose(a, back, 1e-12, "svd " + m + "x" + n);
        }
        assertThrows(IllegalArgumentException.class, () -> DenseSvd.compute(new double[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> DenseSvd.compute(new double[0], 0, 3));
        assertThrows(IllegalArgumentException.class, () -> DenseSvd.compute(new double[] {1, Double.NaN}, 1, 2));
    }

    // ------------------------------------------------------------------ validation

    private static void assertRejected(String fragment, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    @Test
    void invalidInputsAreRejectedWithClearMessages() {
        double[] a = new double[24];
        int[] modes = {2, 3, 4};
        assertRejected("need 24", () -> TtSvd.decompose(new double[23], modes, null, 0));
        assertRejected("modes[1] = 0", () -> TtSvd.decompose(a, new int[] {2, 0, 4}, null, 0));
        assertRejected("empty", () -> TtSvd.decompose(new double[1], new int[0], null, 0));
        assertRejected("maxRanks has length 3", () -> TtSvd.decompose(a, modes, new int[] {1, 2, 3}, 0));
        assertRejected("maxRanks[1] = 0", () -> TtSvd.decompose(a, modes, new int[] {1, 0}, 0));
        assertRejected("tolerance", () -> TtSvd.decompose(a, modes, null, -0.1));
        assertRejected("tolerance", () -> TtSvd.decompose(a, modes, null, Double.NaN));
        assertRejected("tolerance", () -> TtSvd.decompose(a, modes, null, Double.POSITIVE_INFINITY));
        double[] bad = new double[24];
        bad[5] = Double.NaN;
        assertRejected("non-finite", () -> TtSvd.decompose(bad, modes, null, 0));

        Tensor w = Tensor.zeros(6, 8);
        assertRejected("M = 6", () -> TtSvd.tt(w, new int[] {2, 2}, new int[] {2, 4}, null, 0));
        assertRejected("N = 8", () -> TtSvd.tt(w, new int[] {2, 3}, new int[] {2, 3}, null, 0));
        assertRejected("same length", () -> TtSvd.tt(w, new int[] {6}, new int[] {2, 4}, null, 0));
        assertRejected("2-D", () -> TtSvd.tt(Tensor.zeros(6, 8, 1), new int[] {2, 3}, new int[] {2, 4}, null, 0));
        assertRejected("maxRanks has length 2", () -> TtSvd.tt(w, new int[] {2, 3}, new int[] {2, 4}, new int[] {2, 2}, 0));
        assertRejected("M = 6", () -> TtSvd.ttm(w, new int[] {3, 3}, new int[] {2, 4}, null, 0));
        assertRejected("N = 8", () -> TtSvd.ttm(w, new int[] {2, 3}, new int[] {2, 2}, null, 0));
        assertRejected("same length", () -> TtSvd.ttm(w, new int[] {2, 3}, new int[] {8}, null, 0));
        assertRejected("ragged", () -> TtSvd.tt(new float[][] {{1, 2}, {3}}, new int[] {2}, new int[] {2}, null, 0));

        Tensor c0 = Tensor.zeros(1, 2, 3);
        Tensor c1 = Tensor.zeros(2, 2, 1);
        assertRejected("left rank 2 but core 0 has right rank 3", () -> TtSvd.reconstruct(List.of(c0, c1)));
        assertRejected("first core", () -> TtSvd.reconstruct(List.of(Tensor.zeros(2, 2, 1))));
        assertRejected("last core", () -> TtSvd.reconstruct(List.of(Tensor.zeros(1, 2, 2))));
        assertRejected("3-D", () -> TtSvd.reconstruct(List.of(Tensor.zeros(1, 2, 2, 1))));
        assertRejected("2d cores", () -> TtSvd.reconstructMatrix(List.of(Tensor.zeros(1, 2, 1))));
        assertRejected("all 3-D", () -> TtSvd.reconstructMatrix(List.of(Tensor.zeros(1, 2, 1), Tensor.zeros(1, 2, 2, 1))));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
