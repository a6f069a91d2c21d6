package ttq.model.infer;

import java.util.List;
import ttq.engine.Tensor;
import ttq.model.tt.TtmEmbedding;

/**
 * A TTM embedding's cores F_1..F_d merged at one bond s into two halves, in double precision: for
 * each left row index a = (i_1..i_s) a block L_a [(j_1..j_s), p_s], for each right row index
 * b = (i_{s+1}..i_d) a block R_b [p_s, (j_{s+1}..j_d)], so that row(id) = L_a R_b with
 * id = a * |b| + b. Every lookup then costs one small product and gathers two blocks; the table
 * (vocabulary x hidden) is never formed. The bond is the one with the fewest merged values
 * (Table 1's embedding: s = 2, 9,000 + 61,440 values against the table's 614,400). With integer
 * codes in, the sums are exact.
 */
final class TtmHalves {
    final int split, bond;           // s and p_s
    final int leftRows, leftCols;    // |a| = m_1..m_s, (j_1..j_s) = n_1..n_s
    final int rightRows, rightCols;  // |b|, n_{s+1}..n_d
    final double[] left;             // [leftRows][leftCols * bond]
    final double[] right;            // [rightRows][bond * rightCols]

    private TtmHalves(int split, int bond, int leftRows, int leftCols, int rightRows, int rightCols, double[] left, double[] right) {
        this.split = split;
        this.bond = bond;
        this.leftRows = leftRows;
        this.leftCols = leftCols;
        this.rightRows = rightRows;
        this.rightCols = rightCols;
        this.left = left;
        this.right = right;
    }

    /** The halves of the embedding's cores, each core's values mapped by {@code value}. */
    static TtmHalves of(TtmEmbedding e, TtFactors.CoreValues value) {
        List<Tensor> cores = e.cores();
        int d = cores.size();
        int[] rm = new int[d], cm = new int[d], ranks = e.ranks();
        double[][] f = new double[d][];
        for (int k = 0; k < d; k++) {
            rm[k] = cores.get(k).dim(1);
            cm[k] = cores.get(k).dim(2);
            f[k] = value.of(k, cores.get(k));
        }
        int split = d;
        long best = Long.MAX_VALUE;
        for (int s = 1; s <= Math.max(1, d - 1); s++) { // d = 1: s = 1 = d, no right half
            long size = (prod(rm, 0, s) * prod(cm, 0, s) + prod(rm, s, d) * prod(cm, s, d)) * (long) ranks[s];
            if (size < best) {
                best = size;
                split = s;
            }
        }
        int p = ranks[split];
        int lr = (int) prod(rm, 0, split), lc = (int) prod(cm, 0, split), rr = (int) prod(rm, split, d), rc = (int) prod(cm, split, d);
        double[] left = new double[lr * lc * p];
        for (int a = 0; a < lr; a++) {
            int[] idx = digits(a, rm, 0, split);
            // T [(j_1..j_k), p_k], from F_1[0, i_1, :, :]
            double[] t = new double[cm[0] * ranks[1]];
            System.arraycopy(f[0], idx[0] * cm[0] * ranks[1], t, 0, t.length);
            int cols = cm[0];
            for (int k = 1; k < split; k++) {
                int pk = ranks[k], nk = cm[k], pn = ranks[k + 1];
                double[] next = new double[cols * nk * pn];
                for (int c = 0; c < cols; c++) {
                    for (int q = 0; q < pk; q++) {
                        double x = t[c * pk + q];
                        if (x == 0) {
                            continue;
                        }
                        for (int j = 0; j < nk; j++) {
                            int src = ((q * rm[k] + idx[k]) * nk + j) * pn, dst = (c * nk + j) * pn;
                            for (int o = 0; o < pn; o++) {
                                next[dst + o] += x * f[k][src + o];
                            }
                        }
                    }
                }
                t = next;
                cols *= nk;
            }
            System.arraycopy(t, 0, left, a * lc * p, lc * p);
        }
        double[] right = new double[rr * p * rc];
        for (int b = 0; b < rr; b++) {
            if (split == d) {
                right[b] = 1; // no right half: R = [1] (p_d = 1, one column)
                continue;
            }
            int[] idx = digits(b, rm, split, d);
            // T [p_k, (j_k..j_d)], from F_d[:, i_d, :, 0]
            int last = d - 1, pl = ranks[last], nl = cm[last];
            double[] t = new double[pl * nl];
            for (int q = 0; q < pl; q++) {
                for (int j = 0; j < nl; j++) {
                    t[q * nl + j] = f[last][(q * rm[last] + idx[last - split]) * nl + j];
                }
            }
            int cols = nl;
            for (int k = last - 1; k >= split; k--) {
                int pk = ranks[k], nk = cm[k], pn = ranks[k + 1];
                double[] next = new double[pk * nk * cols];
                for (int q = 0; q < pk; q++) {
                    for (int j = 0; j < nk; j++) {
                        int dst = (q * nk + j) * cols;
                        for (int o = 0; o < pn; o++) {
                            double x = f[k][((q * rm[k] + idx[k - split]) * nk + j) * pn + o];
                            if (x == 0) {
                                continue;
                            }
                            for (int c = 0; c < cols; c++) {
                                next[dst + c] += x * t[o * cols + c];
                            }
                        }
                    }
                }
                t = next;
                cols *= nk;
            }
            System.arraycopy(t, 0, right, b * p * rc, p * rc);
        }
        return new TtmHalves(split, p, lr, lc, rr, rc, left, right);
    }

    private static long prod(int[] m, int from, int to) {
        long p = 1;
        for (int k = from; k < to; k++) {
            p *= m[k];
        }
        return p;
    }

    /** Row-major digits of index over modes m[from..to). */
    private static int[] digits(int index, int[] m, int from, int to) {
        int[] out = new int[to - from];
        for (int k = to - 1; k >= from; k--) {
            out[k - from] = index % m[k];
            index /= m[k];
        }
        return out;
    }

    /** A description: the bond and the merged sizes. */
    String describe() {
        return "halves at bond " + split + " (rank " + bond + "): " + leftRows + " x [" + leftCols + "," + bond + "] and " + rightRows
                + " x [" + bond + "," + rightCols + "]";
    }
}
