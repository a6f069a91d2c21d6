package ttq.model.tt;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import ttq.engine.Tensor;

/**
 * The result of a TT-SVD ({@link TtSvd}): float32 cores, bond ranks, and the error bound.
 *
 * <p>Cores are 3-D {@code [r_{k-1}, n_k, r_k]} for a plain TT / TT layer and 4-D
 * {@code [p_{k-1}, m_k, n_k, p_k]} for a TTM. {@link #ranks()} holds {@code r_0 .. r_K}
 * including the boundary ranks {@code r_0 = r_K = 1}.
 */
public final class TtDecomposition {
    private final List<Tensor> cores;
    private final int[] ranks;
    private final double discardedNorm;
    private final double frobeniusNorm;

    /**
     * @param cores the cores, first to last
     * @param ranks {@code r_0 .. r_K} (one more than the number of cores)
     * @param discardedNorm {@code sqrt} of the sum of all squared discarded singular values
     * @param frobeniusNorm Frobenius norm of the decomposed tensor
     */
    public TtDecomposition(List<Tensor> cores, int[] ranks, double discardedNorm, double frobeniusNorm) {
        this.cores = List.copyOf(Objects.requireNonNull(cores, "cores"));
        this.ranks = Objects.requireNonNull(ranks, "ranks").clone();
        if (this.ranks.length != this.cores.size() + 1) {
            throw new IllegalArgumentException(this.cores.size() + " cores need " + (this.cores.size() + 1)
                    + " ranks, got " + this.ranks.length);
        }
        for (int k = 0; k < this.cores.size(); k++) {
            int[] shape = this.cores.get(k).shape();
            if (shape.length < 3 || shape[0] != this.ranks[k] || shape[shape.length - 1] != this.ranks[k + 1]) {
                throw new IllegalArgumentException("core " + k + " has shape " + Arrays.toString(shape)
                        + ", inconsistent with ranks " + Arrays.toString(this.ranks));
            }
        }
        if (!(discardedNorm >= 0) || !(frobeniusNorm >= 0)) {
            throw new IllegalArgumentException("norms must be non-negative: discarded " + discardedNorm
                    + ", frobenius " + frobeniusNorm);
        }
        this.discardedNorm = discardedNorm;
        this.frobeniusNorm = frobeniusNorm;
    }

    /** The cores (unmodifiable list; first to last). */
    public List<Tensor> cores() {
        return cores;
    }

    /** Number of cores K. */
    public int size() {
        return cores.size();
    }

    /** A copy of the ranks {@code r_0 .. r_K}, with {@code r_0 = r_K = 1}. */
    public int[] ranks() {
        return ranks.clone();
    }

    /** Rank {@code r_k}, {@code 0 <= k <= K}. */
    public int rank(int k) {
        return ranks[k];
    }

    /**
     * {@code sqrt} of the sum over all steps of the squared discarded singular values. In exact
     * arithmetic {@code ||A - A_TT||_F} equals this (Oseledets 2011 bounds it by it).
     */
    public double discardedNorm() {
        return discardedNorm;
    }

    /** Frobenius norm of the input tensor. */
    public double frobeniusNorm() {
        return frobeniusNorm;
    }

    /** {@code discardedNorm / frobeniusNorm} (0 for a zero tensor): a bound on the relative error. */
    public double relativeErrorBound() {
        return frobeniusNorm == 0 ? 0 : discardedNorm / frobeniusNorm;
    }

    /**
     * The same tensor with every core scaled to the same largest magnitude (the geometric mean of
     * the cores' max|value|); the scale factors multiply to 1, so the product is unchanged up to
     * float rounding. TT-SVD leaves cores 1..K-1 orthonormal (values below 1) and puts the whole
     * norm in the last core; a quantizer whose one scale is shared by all cores and initialised
     * from max|x| would then round the orthonormal cores to zero (a rank-30 MiniLM feed-forward
     * layer lost 52% of its TT at 8 bits and all of it at 4). Balanced, it loses 3.4% at 8 bits.
     */
    public TtDecomposition balanced() {
        int count = cores.size();
        double[] max = new double[count];
        double logMean = 0;
        for (int k = 0; k < count; k++) {
            for (float v : cores.get(k).data()) {
                max[k] = Math.max(max[k], Math.abs(v));
            }
            if (max[k] == 0) {
                return this; // a zero core makes the tensor zero: nothing to balance
            }
            logMean += Math.log(max[k]) / count;
        }
        double target = Math.exp(logMean);
        List<Tensor> scaled = new java.util.ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            Tensor c = cores.get(k);
            float[] values = c.data().clone();
            double factor = target / max[k];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (values[i] * factor);
            }
            scaled.add(Tensor.wrap(values, c.shape()));
        }
        return new TtDecomposition(scaled, ranks, discardedNorm, frobeniusNorm);
    }

    /** Total number of values in the cores. */
    public long parameterCount() {
        long n = 0;
        for (Tensor c : cores) {
            n += c.numel();
        }
        return n;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TtDecomposition[ranks=").append(Arrays.toString(ranks)).append(", cores=");
        for (int k = 0; k < cores.size(); k++) {
            sb.append(k == 0 ? "" : " ").append(Arrays.toString(cores.get(k).shape()));
        }
        return sb.append(", discardedNorm=").append(discardedNorm).append(", frobeniusNorm=").append(frobeniusNorm)
                .append(']').toString();
    }
}
