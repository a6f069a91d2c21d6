package ttq.model.tt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import ttq.engine.Tensor;

/**
 * TT-SVD and TTM-SVD (Oseledets 2011, "Tensor-Train Decomposition", SIAM J. Sci. Comput., Alg. 1):
 * sequential truncated SVDs of unfoldings, computed in double precision with LAPACKE_dgesdd and
 * returned as float32 cores.
 *
 * <p>Conventions. A tensor with modes {@code n_1..n_K} (row-major) is {@code A(i_1..i_K) =
 * G_1[:, i_1, :] ... G_K[:, i_K, :]} with cores {@code G_k: [r_{k-1}, n_k, r_k]},
 * {@code r_0 = r_K = 1}. A TT layer weight {@code W: [M, N]} ({@code y = W x}) is the TT of W
 * reshaped to {@code [m_1..m_d, n_1..n_d]}: output modes first, 2d cores. A TTM weight is the TT
 * of W reshaped to {@code [m_1, n_1, ..., m_d, n_d]} (interleaved), with each core
 * {@code [p, m_k*n_k, p']} viewed as {@code [p, m_k, n_k, p']}.
 */
public final class TtSvd {

    private TtSvd() {
    }

    /** A decomposition with double-precision cores (the exact output of the algorithm). */
    record Exact(double[][] cores, int[] modes, int[] ranks, double discardedNorm, double frobeniusNorm) {
        /** Shape of core k: {@code [r_{k}, n_k, r_{k+1}]} (0-based). */
        int[] coreShape(int k) {
            return new int[] {ranks[k], modes[k], ranks[k + 1]};
        }

        /** The full tensor, row-major, reconstructed in double. */
        double[] reconstruct() {
            return contractChain(cores, modes, ranks);
        }
    }

    // ------------------------------------------------------------------ decomposition

    /**
     * TT-SVD of a dense row-major tensor.
     *
     * @param tensor the values, row-major over {@code modes}
     * @param modes the mode sizes {@code n_1..n_K} (K >= 1, each >= 1)
     * @param maxRanks caps on the bond ranks {@code r_1..r_{K-1}} (length K-1, each >= 1), or null
     *     for none
     * @param relativeTolerance {@code eps >= 0}: each step truncates to the smallest rank whose
     *     discarded tail is at most {@code eps / sqrt(K-1) * ||A||_F}, so the whole error is at most
     *     {@code eps * ||A||_F} (before maxRanks). 0 drops only exactly-zero singular values.
     * @return K 3-D cores {@code [r_{k-1}, n_k, r_k]}
     */
    public static TtDecomposition decompose(double[] tensor, int[] modes, int[] maxRanks, double relativeTolerance) {
        return toFloat(decomposeExact(tensor, modes, maxRanks, relativeTolerance), null);
    }

    /** TT-SVD of a float32 tensor whose shape gives the modes; see {@link #decompose(double[], int[], int[], double)}. */
    public static TtDecomposition decompose(Tensor tensor, int[] maxRanks, double relativeTolerance) {
        Objects.requireNonNull(tensor, "tensor");
        if (tensor.rank() == 0) {
            throw new IllegalArgumentException("cannot decompose a scalar (rank-0) tensor");
        }
        return decompose(toDouble(tensor.data()), tensor.shape(), maxRanks, relativeTolerance);
    }

    /**
     * TT decomposition of a TT layer weight {@code W: [M, N]}: the TT of W reshaped to
     * {@code [outModes..., inModes...]}, giving 2d cores, output modes first.
     *
     * @param w the weight, 2-D {@code [M, N]}
     * @param outModes {@code m_1..m_d}, product M
     * @param inModes {@code n_1..n_d}, product N (same length as outModes)
     * @param maxRanks caps on {@code r_1..r_{2d-1}}, or null
     * @param eps relative tolerance (see {@link #decompose(double[], int[], int[], double)})
     */
    public static TtDecomposition tt(Tensor w, int[] outModes, int[] inModes, int[] maxRanks, double eps) {
        double[] a = matrixValues(w, outModes, inModes, "outModes", "inModes");
        return decompose(a, concat(outModes, inModes), maxRanks, eps);
    }

    /** {@link #tt(Tensor, int[], int[], int[], double)} for a weight given as rows. */
    public static TtDecomposition tt(float[][] w, int[] outModes, int[] inModes, int[] maxRanks, double eps) {
        return tt(Tensor.of(Objects.requireNonNull(w, "w")), outModes, inModes, maxRanks, eps);
    }

    /**
     * TTM decomposition of {@code W: [M, N]}: the TT of W reshaped to
     * {@code [m_1, n_1, ..., m_d, n_d]}, giving d 4-D cores {@code [p_{k-1}, m_k, n_k, p_k]}.
     *
     * @param w the weight, 2-D {@code [M, N]}
     * @param rowModes {@code m_1..m_d}, product M
     * @param colModes {@code n_1..n_d}, product N (same length as rowModes)
     * @param maxRanks caps on {@code p_1..p_{d-1}}, or null
     * @param eps relative tolerance (see {@link #decompose(double[], int[], int[], double)})
     */
    public static TtDecomposition ttm(Tensor w, int[] rowModes, int[] colModes, int[] maxRanks, double eps) {
        double[] a = matrixValues(w, rowModes, colModes, "rowModes", "colModes");
        int d = rowModes.length;
        int[] combined = new int[d];
        for (int k = 0; k < d; k++) {
            combined[k] = rowModes[k] * colModes[k];
        }
        double[] interleaved = new double[a.length];
        int[] rowOff = interleavedRowOffsets(rowModes, colModes);
        int[] colOff = interleavedColOffsets(rowModes, colModes);
        int cols = colOff.length;
        for (int i = 0; i < rowOff.length; i++) {
            for (int j = 0; j < cols; j++) {
                interleaved[rowOff[i] + colOff[j]] = a[i * cols + j];
            }
        }
        Exact exact = decomposeExact(interleaved, combined, maxRanks, eps);
        int[][] shapes = new int[d][];
        for (int k = 0; k < d; k++) {
            shapes[k] = new int[] {exact.ranks()[k], rowModes[k], colModes[k], exact.ranks()[k + 1]};
        }
        return toFloat(exact, shapes);
    }

    /** {@link #ttm(Tensor, int[], int[], int[], double)} for a weight given as rows. */
    public static TtDecomposition ttm(float[][] w, int[] rowModes, int[] colModes, int[] maxRanks, double eps) {
        return ttm(Tensor.of(Objects.requireNonNull(w, "w")), rowModes, colModes, maxRanks, eps);
    }

    /** The algorithm proper, in double; public entry points validate through here too. */
    static Exact decomposeExact(double[] tensor, int[] modes, int[] maxRanks, double eps) {
        Objects.requireNonNull(tensor, "tensor");
        long total = checkModes("modes", modes);
        int kModes = modes.length;
        if (tensor.length != total) {
            throw new IllegalArgumentException("tensor has " + tensor.length + " values but modes "
                    + Arrays.toString(modes) + " need " + total);
        }
        if (maxRanks != null) {
            if (maxRanks.length != kModes - 1) {
                throw new IllegalArgumentException("maxRanks has length " + maxRanks.length + "; " + kModes
                        + " modes have " + (kModes - 1) + " bond ranks");
            }
            for (int k = 0; k < maxRanks.length; k++) {
                if (maxRanks[k] < 1) {
                    throw new IllegalArgumentException("maxRanks[" + k + "] = " + maxRanks[k] + " must be at least 1");
                }
            }
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("relative tolerance must be finite and >= 0, got " + eps);
        }
        double normSq = 0;
        for (int i = 0; i < tensor.length; i++) {
            double v = tensor[i];
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("tensor holds a non-finite value " + v + " at flat index " + i);
            }
            normSq += v * v;
        }
        double norm = Math.sqrt(normSq);
        double delta = kModes > 1 ? eps / Math.sqrt(kModes - 1) * norm : 0;
        double deltaSq = delta * delta;

        double[][] cores = new double[kModes][];
        int[] ranks = new int[kModes + 1];
        ranks[0] = 1;
        ranks[kModes] = 1;
        double discardedSq = 0;
        double[] c = tensor.clone();
        int rPrev = 1;
        for (int k = 0; k < kModes - 1; k++) {
            int rows = rPrev * modes[k]; // <= n_1 * ... * n_k <= total, so it fits
            int cols = c.length / rows;
            DenseSvd.Result svd = DenseSvd.compute(c, rows, cols);
            double[] s = svd.s();
            int full = svd.k();
            // Smallest r whose tail sum_{i >= r} s_i^2 is <= delta^2 (the tail shrinks as r grows).
            int r = full;
            double tail = 0;
            while (r > 0 && tail + s[r - 1] * s[r - 1] <= deltaSq) {
                tail += s[r - 1] * s[r - 1];
                r--;
            }
            if (maxRanks != null) {
                r = Math.min(r, maxRanks[k]);
            }
            r = Math.max(r, 1);
            for (int i = full - 1; i >= r; i--) {
                discardedSq += s[i] * s[i];
            }
            double[] u = svd.u();
            double[] vt = svd.vt();
            double[] core = new double[rows * r];
            double[] next = new double[r * cols];
            for (int a = 0; a < r; a++) {
                // Deterministic signs: the largest-magnitude entry of each left vector is positive.
                int arg = 0;
                for (int i = 1; i < rows; i++) {
                    if (Math.abs(u[i * full + a]) > Math.abs(u[arg * full + a])) {
                        arg = i;
                    }
                }
                double sign = u[arg * full + a] < 0 ? -1 : 1;
                for (int i = 0; i < rows; i++) {
                    core[i * r + a] = sign * u[i * full + a];
                }
                double scale = sign * s[a];
                int off = a * cols;
                for (int j = 0; j < cols; j++) {
                    next[off + j] = scale * vt[off + j];
                }
            }
            cores[k] = core;
            ranks[k + 1] = r;
            c = next;
            rPrev = r;
        }
        cores[kModes - 1] = c; // [r_{K-1}, n_K, 1]
        return new Exact(cores, modes.clone(), ranks, Math.sqrt(discardedSq), norm);
    }

    // ------------------------------------------------------------------ reconstruction

    /**
     * The full tensor {@code [n_1, ..., n_K]} from 3-D cores {@code [r_{k-1}, n_k, r_k]}
     * (straightforward loops in double; for tests and debugging).
     */
    public static Tensor reconstruct(List<Tensor> cores) {
        Chain chain = chainOf(cores);
        return Tensor.wrap(toFloat(contractChain(chain.values, chain.modes, chain.ranks)), chain.modes);
    }

    /** Like {@link #reconstruct(List)} but returns the row-major values in double precision. */
    public static double[] reconstructDouble(List<Tensor> cores) {
        Chain chain = chainOf(cores);
        return contractChain(chain.values, chain.modes, chain.ranks);
    }

    /**
     * The weight {@code W: [M, N]} from layer cores: either 2d 3-D TT-layer cores (output modes
     * first; M is the product of the first d modes) or d 4-D TTM cores {@code [p, m_k, n_k, p']}
     * (de-interleaved).
     */
    public static Tensor reconstructMatrix(List<Tensor> cores) {
        double[] w = reconstructMatrixDouble(cores);
        int[] mn = matrixShape(cores);
        return Tensor.wrap(toFloat(w), mn[0], mn[1]);
    }

    /** Like {@link #reconstructMatrix(List)} but returns the row-major {@code M x N} values in double. */
    public static double[] reconstructMatrixDouble(List<Tensor> cores) {
        Objects.requireNonNull(cores, "cores");
        int coreRank = checkLayerCores(cores);
        if (coreRank == 3) {
            return reconstructDouble(cores);
        }
        int d = cores.size();
        int[] rowModes = new int[d];
        int[] colModes = new int[d];
        List<Tensor> flat = new ArrayList<>(d);
        for (int k = 0; k < d; k++) {
            int[] s = cores.get(k).shape();
            rowModes[k] = s[1];
            colModes[k] = s[2];
            flat.add(Tensor.wrap(cores.get(k).data(), s[0], Math.multiplyExact(s[1], s[2]), s[3]));
        }
        double[] interleaved = reconstructDouble(flat);
        int[] rowOff = interleavedRowOffsets(rowModes, colModes);
        int[] colOff = interleavedColOffsets(rowModes, colModes);
        int cols = colOff.length;
        double[] w = new double[interleaved.length];
        for (int i = 0; i < rowOff.length; i++) {
            for (int j = 0; j < cols; j++) {
                w[i * cols + j] = interleaved[rowOff[i] + colOff[j]];
            }
        }
        return w;
    }

    // ------------------------------------------------------------------ helpers

    private record Chain(double[][] values, int[] modes, int[] ranks) {
    }

    /** Validates 3-D cores with matching bond ranks and boundary ranks 1. */
    private static Chain chainOf(List<Tensor> cores) {
        Objects.requireNonNull(cores, "cores");
        if (cores.isEmpty()) {
            throw new IllegalArgumentException("no cores");
        }
        int kModes = cores.size();
        double[][] values = new double[kModes][];
        int[] modes = new int[kModes];
        int[] ranks = new int[kModes + 1];
        long total = 1;
        for (int k = 0; k < kModes; k++) {
            Tensor core = Objects.requireNonNull(cores.get(k), "core " + k);
            int[] s = core.shape();
            if (s.length != 3) {
                throw new IllegalArgumentException("core " + k + " has shape " + Arrays.toString(s)
                        + "; expected 3-D [r_prev, n, r_next]");
            }
            if (k == 0 && s[0] != 1) {
                throw new IllegalArgumentException("first core has left rank " + s[0] + "; expected 1");
            }
            if (k > 0 && s[0] != ranks[k]) {
                throw new IllegalArgumentException("core " + k + " has left rank " + s[0] + " but core " + (k - 1)
                        + " has right rank " + ranks[k]);
            }
            if (k == kModes - 1 && s[2] != 1) {
                throw new IllegalArgumentException("last core has right rank " + s[2] + "; expected 1");
            }
            if (s[1] < 1 || s[2] < 1) {
                throw new IllegalArgumentException("core " + k + " has an empty axis: " + Arrays.toString(s));
            }
            ranks[k] = s[0];
            ranks[k + 1] = s[2];
            modes[k] = s[1];
            total *= s[1];
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("reconstructed tensor would be too large (modes so far "
                        + Arrays.toString(Arrays.copyOf(modes, k + 1)) + ")");
            }
            values[k] = toDouble(core.data());
        }
        return new Chain(values, modes, ranks);
    }

    /** Left-to-right contraction of a checked chain of cores into the row-major tensor. */
    private static double[] contractChain(double[][] cores, int[] modes, int[] ranks) {
        double[] cur = {1.0}; // [prod of modes so far, r_k]
        int prod = 1;
        for (int k = 0; k < cores.length; k++) {
            int r = ranks[k];
            int n = modes[k];
            int rNext = ranks[k + 1];
            double[] g = cores[k];
            double[] next = new double[Math.multiplyExact(Math.multiplyExact(prod, n), rNext)];
            for (int p = 0; p < prod; p++) {
                for (int a = 0; a < r; a++) {
                    double x = cur[p * r + a];
                    if (x == 0) {
                        continue;
                    }
                    for (int i = 0; i < n; i++) {
                        int gOff = (a * n + i) * rNext;
                        int outOff = (p * n + i) * rNext;
                        for (int b = 0; b < rNext; b++) {
                            next[outOff + b] += x * g[gOff + b];
                        }
                    }
                }
            }
            cur = next;
            prod *= n;
        }
        return cur;
    }

    /** Checks cores for a layer; returns 3 (TT layer, even count) or 4 (TTM). */
    private static int checkLayerCores(List<Tensor> cores) {
        if (cores.isEmpty()) {
            throw new IllegalArgumentException("no cores");
        }
        int coreRank = Objects.requireNonNull(cores.get(0), "core 0").rank();
        for (int k = 0; k < cores.size(); k++) {
            int rk = Objects.requireNonNull(cores.get(k), "core " + k).rank();
            if (rk != coreRank || (rk != 3 && rk != 4)) {
                throw new IllegalArgumentException("layer cores must be all 3-D (TT layer) or all 4-D (TTM); core " + k
                        + " has shape " + Arrays.toString(cores.get(k).shape()) + " and core 0 has rank " + coreRank);
            }
        }
        if (coreRank == 3 && cores.size() % 2 != 0) {
            throw new IllegalArgumentException("a TT layer has 2d cores (output modes, then input modes); got "
                    + cores.size());
        }
        return coreRank;
    }

    private static int[] matrixShape(List<Tensor> cores) {
        int coreRank = checkLayerCores(cores);
        long m = 1;
        long n = 1;
        if (coreRank == 3) {
            int d = cores.size() / 2;
            for (int k = 0; k < d; k++) {
                m *= cores.get(k).dim(1);
                n *= cores.get(d + k).dim(1);
            }
        } else {
            for (Tensor c : cores) {
                m *= c.dim(1);
                n *= c.dim(2);
            }
        }
        return new int[] {Math.toIntExact(m), Math.toIntExact(n)};
    }

    /** Checks that modes are non-empty and positive; returns their product. */
    private static long checkModes(String name, int[] modes) {
        Objects.requireNonNull(modes, name);
        if (modes.length == 0) {
            throw new IllegalArgumentException(name + " is empty");
        }
        long total = 1;
        for (int k = 0; k < modes.length; k++) {
            if (modes[k] < 1) {
                throw new IllegalArgumentException(name + "[" + k + "] = " + modes[k] + " must be at least 1 (modes "
                        + Arrays.toString(modes) + ")");
            }
            total *= modes[k];
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(name + " " + Arrays.toString(modes) + " describe too many values");
            }
        }
        return total;
    }

    /** Validates a layer weight against its modes and returns its values in double. */
    private static double[] matrixValues(Tensor w, int[] rowModes, int[] colModes, String rowName, String colName) {
        Objects.requireNonNull(w, "w");
        if (w.rank() != 2) {
            throw new IllegalArgumentException("weight must be 2-D [M, N]; got shape " + Arrays.toString(w.shape()));
        }
        long m = checkModes(rowName, rowModes);
        long n = checkModes(colName, colModes);
        if (rowModes.length != colModes.length) {
            throw new IllegalArgumentException(rowName + " " + Arrays.toString(rowModes) + " and " + colName + " "
                    + Arrays.toString(colModes) + " must have the same length d");
        }
        if (m != w.dim(0)) {
            throw new IllegalArgumentException(rowName + " " + Arrays.toString(rowModes) + " multiply to " + m
                    + " but the weight has M = " + w.dim(0) + " rows");
        }
        if (n != w.dim(1)) {
            throw new IllegalArgumentException(colName + " " + Arrays.toString(colModes) + " multiply to " + n
                    + " but the weight has N = " + w.dim(1) + " columns");
        }
        return toDouble(w.data());
    }

    /**
     * For each row index i (digits i_1..i_d, row-major over rowModes), its offset in the
     * interleaved tensor [m_1, n_1, ..., m_d, n_d]: sum_k i_k * n_k * stride_k with
     * stride_k = prod_{l > k} m_l n_l.
     */
    private static int[] interleavedRowOffsets(int[] rowModes, int[] colModes) {
        return digitOffsets(rowModes, colModes, true);
    }

    /** For each column index j, sum_k j_k * stride_k (see {@link #interleavedRowOffsets}). */
    private static int[] interleavedColOffsets(int[] rowModes, int[] colModes) {
        return digitOffsets(rowModes, colModes, false);
    }

    private static int[] digitOffsets(int[] rowModes, int[] colModes, boolean rows) {
        int d = rowModes.length;
        int[] weight = new int[d]; // offset contributed by one unit of digit k
        int stride = 1;
        for (int k = d - 1; k >= 0; k--) {
            weight[k] = rows ? stride * colModes[k] : stride;
            stride *= rowModes[k] * colModes[k];
        }
        int[] own = rows ? rowModes : colModes;
        int count = 1;
        for (int x : own) {
            count *= x;
        }
        int[] out = new int[count];
        for (int idx = 0; idx < count; idx++) {
            int rest = idx;
            int off = 0;
            for (int k = d - 1; k >= 0; k--) {
                off += (rest % own[k]) * weight[k];
                rest /= own[k];
            }
            out[idx] = off;
        }
        return out;
    }

    private static TtDecomposition toFloat(Exact exact, int[][] shapes) {
        List<Tensor> cores = new ArrayList<>(exact.cores().length);
        for (int k = 0; k < exact.cores().length; k++) {
            int[] shape = shapes == null ? exact.coreShape(k) : shapes[k];
            cores.add(Tensor.wrap(toFloat(exact.cores()[k]), shape));
        }
        return new TtDecomposition(cores, exact.ranks(), exact.discardedNorm(), exact.frobeniusNorm());
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static double[] toDouble(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i];
        }
        return out;
    }

    private static float[] toFloat(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) x[i];
        }
        return out;
    }
}
