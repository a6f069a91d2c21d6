package ttq.model.tt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import ttq.engine.Tensor;

/**
 * The cores of a tensor-train-matrix (TTM): F_k [p_{k-1}, m_k, n_k, p_k], p_0 = p_d = 1,
 * W(i, j) = F_1[i_1, j_1] ... F_d[i_d, j_d] with row-major multi-indices. Shared by
 * {@link TtmLinear} and {@link TtmEmbedding}.
 */
final class TtmCores {
    final int[] rowModes, colModes, ranks; // ranks p_0..p_d
    final int d, rows, cols;

    TtmCores(String what, int[] rowModes, int[] colModes, int[] bondRanks) {
        TtShapes.checkModes(what + " row modes", rowModes);
        TtShapes.checkModes(what + " column modes", colModes);
        if (rowModes.length != colModes.length) {
            throw new IllegalArgumentException(what + ": " + rowModes.length + " row modes but " + colModes.length
                    + " column modes (a TTM core pairs one of each)");
        }
        this.rowModes = rowModes.clone();
        this.colModes = colModes.clone();
        this.d = rowModes.length;
        this.rows = TtShapes.product(rowModes);
        this.cols = TtShapes.product(colModes);
        int[] bonds = d == 1 ? new int[0] : TtShapes.bondRanks(what, bondRanks, d);
        this.ranks = new int[d + 1];
        ranks[0] = 1;
        ranks[d] = 1;
        System.arraycopy(bonds, 0, ranks, 1, bonds.length);
    }

    int[] shape(int k) {
        return new int[] {ranks[k], rowModes[k], colModes[k], ranks[k + 1]};
    }

    int[] bonds() {
        return Arrays.copyOfRange(ranks, 1, d);
    }

    /** Random cores whose reconstruction has the given entry variance. */
    List<Tensor> init(Random random, double variance) {
        double std = TtShapes.coreStd(variance, bonds(), d);
        List<Tensor> out = new ArrayList<>();
        for (int k = 0; k < d; k++) {
            out.add(TtShapes.normal(random, std, shape(k)));
        }
        return out;
    }

    void check(String what, List<Tensor> cores) {
        if (cores.size() != d) {
            throw new IllegalArgumentException(what + ": " + cores.size() + " cores, expected " + d);
        }
        for (int k = 0; k < d; k++) {
            if (!Arrays.equals(cores.get(k).shape(), shape(k))) {
                throw new IllegalArgumentException(what + ": core " + k + " has shape " + Arrays.toString(cores.get(k).shape())
                        + ", expected " + Arrays.toString(shape(k)));
            }
        }
    }

    /** Bond ranks of given 4-D cores. */
    static int[] bondsOf(String what, List<Tensor> cores) {
        int[] b = new int[Math.max(1, cores.size() - 1)];
        b[0] = 1;
        for (int k = 0; k + 1 < cores.size(); k++) {
            if (cores.get(k).rank() != 4) {
                throw new IllegalArgumentException(what + ": core " + k + " must be 4-D [p, m, n, p'], got "
                        + Arrays.toString(cores.get(k).shape()));
            }
            b[k] = cores.get(k).dim(3);
        }
        return b;
    }

    static int[] modesOf(List<Tensor> cores, int axis) {
        int[] m = new int[cores.size()];
        for (int k = 0; k < m.length; k++) {
            if (cores.get(k).rank() != 4) {
                throw new IllegalArgumentException("TTM core " + k + " must be 4-D [p, m, n, p'], got "
                        + Arrays.toString(cores.get(k).shape()));
            }
            m[k] = cores.get(k).dim(axis);
        }
        return m;
    }

    private ContractionPlan densePlan;

    /** The cheapest order to contract all cores into the dense [rows, cols] matrix (found once). */
    ContractionPlan densePlan() {
        if (densePlan == null) {
            TensorNetwork.Builder nb = TensorNetwork.builder();
            String[] out = new String[2 * d];
            for (int k = 0; k < d; k++) {
                nb.size("i" + (k + 1), rowModes[k]).size("j" + (k + 1), colModes[k]);
                out[k] = "i" + (k + 1);
                out[d + k] = "j" + (k + 1);
                if (k > 0) {
                    nb.size("p" + k, ranks[k]);
                }
            }
            for (int k = 0; k < d; k++) {
                List<String> ls = new ArrayList<>();
                if (k > 0) {
                    ls.add("p" + k);
                }
                ls.add("i" + (k + 1));
                ls.add("j" + (k + 1));
                if (k < d - 1) {
                    ls.add("p" + (k + 1));
                }
                nb.tensor("F" + (k + 1), ls.toArray(new String[0]));
            }
            densePlan = ContractionPlan.optimal(nb.output(out).build());
        }
        return densePlan;
    }

    /** The dense W [rows, cols] by contracting all cores (differentiable). */
    Tensor toDense(Tensor[] cores) {
        Tensor[] inputs = new Tensor[d];
        for (int k = 0; k < d; k++) {
            List<Integer> dims = new ArrayList<>();
            if (k > 0) {
                dims.add(ranks[k]);
            }
            dims.add(rowModes[k]);
            dims.add(colModes[k]);
            if (k < d - 1) {
                dims.add(ranks[k + 1]);
            }
            inputs[k] = cores[k].reshape(dims.stream().mapToInt(Integer::intValue).toArray());
        }
        return densePlan().execute(inputs).reshape(rows, cols);
    }
}
