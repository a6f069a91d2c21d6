package ttq.model.infer;

import java.util.List;
import ttq.engine.Tensor;
import ttq.model.tt.TtLinear;

/**
 * The two halves of a {@link TtLinear} contracted at its middle bond, in double precision: U [M, r]
 * from the output cores and V [r, N] from the input cores, so W = U V. Given integer core codes the
 * sums are exact (|code| <= 128, and the products of d codes times the bond sizes stay far below
 * 2^53), which is how the integer layer precontracts its pair before requantizing it once.
 */
final class TtFactors {
    final int m, n, r;
    final double[] u; // [M, r]
    final double[] v; // [r, N]

    private TtFactors(int m, int n, int r, double[] u, double[] v) {
        this.m = m;
        this.n = n;
        this.r = r;
        this.u = u;
        this.v = v;
    }

    /** U and V of the layer's cores, each value mapped by {@code value} (identity for floats, or a core code). */
    static TtFactors of(TtLinear layer, CoreValues value) {
        int[] out = layer.outModes(), in = layer.inModes(), ranks = layer.ranks();
        int d = out.length;
        List<Tensor> cores = layer.cores();
        // U: T [(i1..ik), r_k], starting from G1 [1, i1, r1]
        double[] t = value.of(0, cores.get(0));
        int rows = out[0];
        for (int k = 1; k < d; k++) {
            double[] g = value.of(k, cores.get(k)); // [r_k, m_k, r_{k+1}]
            int rk = ranks[k], mk = out[k], rn = ranks[k + 1];
            double[] next = new double[rows * mk * rn];
            for (int a = 0; a < rows; a++) {
                for (int p = 0; p < rk; p++) {
                    double x = t[a * rk + p];
                    if (x == 0) {
                        continue;
                    }
                    for (int i = 0; i < mk; i++) {
                        int gBase = (p * mk + i) * rn, oBase = (a * mk + i) * rn;
                        for (int q = 0; q < rn; q++) {
                            next[oBase + q] += x * g[gBase + q];
                        }
                    }
                }
            }
            t = next;
            rows *= mk;
        }
        double[] u = t; // [M, r_d]
        // V: T [r_k, (j_k..j_d)], starting from G_2d [r_{2d-1}, j_d, 1]
        double[] s = value.of(2 * d - 1, cores.get(2 * d - 1));
        int cols = in[d - 1];
        for (int k = 2 * d - 2; k >= d; k--) {
            double[] g = value.of(k, cores.get(k)); // [r_k, n, r_{k+1}]
            int rk = ranks[k], nk = in[k - d], rn = ranks[k + 1];
            double[] next = new double[rk * nk * cols];
            for (int p = 0; p < rk; p++) {
                for (int j = 0; j < nk; j++) {
                    int oBase = (p * nk + j) * cols;
                    for (int q = 0; q < rn; q++) {
                        double x = g[(p * nk + j) * rn + q];
                        if (x == 0) {
                            continue;
                        }
                        int sBase = q * cols;
                        for (int c = 0; c < cols; c++) {
                            next[oBase + c] += x * s[sBase + c];
                        }
                    }
                }
            }
            s = next;
            cols *= nk;
        }
        return new TtFactors(layer.outFeatures(), layer.inFeatures(), ranks[d], u, s);
    }

    /** How a core's stored values become the numbers contracted: floats as they are, or integer codes. */
    @FunctionalInterface
    interface CoreValues {
        double[] of(int k, Tensor core);
    }

    /** The cores' float values. */
    static double[] floats(int k, Tensor core) {
        float[] f = core.data();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }
}
