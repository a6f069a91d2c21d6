package ttq.model.tt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;
import ttq.engine.quant.LearnedScaleQuantizer;

/**
 * An embedding table (vocabulary x hidden) in tensor-train-matrix format: cores
 * F_k [p_{k-1}, m_k, n_k, p_k] with prod(m) >= vocabulary (the table is padded up to the product
 * of the row modes; padded rows are never looked up) and prod(n) = hidden. A lookup of few
 * distinct ids gathers, per core, only the slices F_k[:, i_k(id), :, :] of those ids and contracts
 * them along the bonds with the batch as a shared axis; when that would cost more multiply-adds than
 * contracting the whole table (a training batch of hundreds of distinct words: the table's cost does
 * not grow with the batch, and its products are large GEMMs), the table is built and its rows
 * gathered. Initialisation: entries of the reconstructed table have variance 1 / hidden (rows of
 * unit expected norm).
 */
public final class TtmEmbedding extends Module {
    private final TtmCores spec;
    private final int vocabulary;
    private final Tensor[] cores;
    private final Map<Integer, ContractionPlan> plans = new HashMap<>();
    private LearnedScaleQuantizer weightQuantizer;

    /** A TTM embedding of vocabulary rows (padded up to the product of rowModes) and hidden = product of colModes, rank rank, initialised from random. */
    public TtmEmbedding(int vocabulary, int[] rowModes, int[] colModes, int rank, Random random) {
        this(vocabulary, rowModes, colModes, new int[] {rank}, random, null);
    }

    private TtmEmbedding(int vocabulary, int[] rowModes, int[] colModes, int[] bondRanks, Random random, List<Tensor> given) {
        this.spec = new TtmCores("TtmEmbedding", rowModes, colModes, bondRanks);
        if (vocabulary < 1 || vocabulary > spec.rows) {
            throw new IllegalArgumentException("TtmEmbedding: vocabulary " + vocabulary + " must be in [1, " + spec.rows
                    + "] (the product of the row modes " + Arrays.toString(rowModes) + ")");
        }
        this.vocabulary = vocabulary;
        List<Tensor> init = given != null ? given : spec.init(random, 1.0 / spec.cols);
        spec.check("TtmEmbedding", init);
        cores = new Tensor[spec.d];
        for (int k = 0; k < spec.d; k++) {
            cores[k] = parameter("core" + k, init.get(k));
        }
    }

    /** An embedding from 4-D cores (copied). */
    public static TtmEmbedding fromCores(int vocabulary, List<Tensor> cores) {
        List<Tensor> copies = new ArrayList<>();
        for (Tensor c : cores) {
            copies.add(c.copy());
        }
        return new TtmEmbedding(vocabulary, TtmCores.modesOf(cores, 1), TtmCores.modesOf(cores, 2),
                TtmCores.bondsOf("TtmEmbedding", cores), null, copies);
    }

    /**
     * Compresses a dense table [vocabulary, hidden] by TTM-SVD, padding it with zero rows up to the
     * product of the row modes (ranks capped at maxRank, relative tolerance eps).
     */
    public static TtmEmbedding fromDense(Tensor table, int[] rowModes, int[] colModes, int maxRank, double eps) {
        int rows = TtShapes.product(rowModes);
        if (table.rank() != 2 || table.dim(0) > rows) {
            throw new IllegalArgumentException("TtmEmbedding.fromDense: table " + Arrays.toString(table.shape())
                    + " must be [vocabulary <= " + rows + ", hidden]");
        }
        float[] padded = Arrays.copyOf(table.data(), rows * table.dim(1));
        int[] caps = new int[Math.max(0, rowModes.length - 1)];
        Arrays.fill(caps, maxRank);
        TtDecomposition dec = TtSvd.ttm(Tensor.wrap(padded, rows, table.dim(1)), rowModes, colModes,
                caps.length == 0 ? null : caps, eps).balanced();
        return fromCores(table.dim(0), dec.cores());
    }

    /** Number of real rows (ids 0..vocabulary-1 are valid). */
    public int vocabulary() {
        return vocabulary;
    }

    /** Embedding width. */
    public int hidden() {
        return spec.cols;
    }

    /** Quantizes the cores in training with one learned scale shared by all of them. Call once, before training. */
    public TtmEmbedding quantizeWeights(LearnedScaleQuantizer quantizer) {
        if (weightQuantizer != null) {
            throw new IllegalStateException("TtmEmbedding: weights are already quantized");
        }
        weightQuantizer = module("weightQuantizer", quantizer);
        return this;
    }

    /** Quantizer of the cores (shared scale), or null at FP32. */
    public LearnedScaleQuantizer weightQuantizer() {
        return weightQuantizer;
    }

    /** The cores as the forward uses them: fake-quantized when weight quantization is on. */
    private Tensor[] effectiveCores() {
        return weightQuantizer == null ? cores : weightQuantizer.forward(List.of(cores)).toArray(new Tensor[0]);
    }

    /** Cores F_1..F_d, each [p_{k-1}, m_k, n_k, p_k]. */
    public List<Tensor> cores() {
        return List.of(cores);
    }

    /** Bond ranks p_0..p_d (p_0 = p_d = 1). */
    public int[] ranks() {
        return spec.ranks.clone();
    }

    /** Network of one lookup of {@code batch} ids: gathered slices S_k [b, p_{k-1}, n_k, p_k] sharing b. */
    public TensorNetwork network(int batch) {
        int d = spec.d;
        TensorNetwork.Builder nb = TensorNetwork.builder().size("b", batch);
        String[] out = new String[d + 1];
        out[0] = "b";
        for (int k = 0; k < d; k++) {
            nb.size("n" + (k + 1), spec.colModes[k]);
            out[k + 1] = "n" + (k + 1);
            if (k > 0) {
                nb.size("p" + k, spec.ranks[k]);
            }
        }
        for (int k = 0; k < d; k++) {
            List<String> ls = new ArrayList<>();
            ls.add("b");
            if (k > 0) {
                ls.add("p" + k);
            }
            ls.add("n" + (k + 1));
            if (k < d - 1) {
                ls.add("p" + (k + 1));
            }
            nb.tensor("S" + (k + 1), ls.toArray(new String[0]));
        }
        return nb.output(out).build();
    }

    /** The contraction plan a lookup of batch distinct ids uses. */
    public ContractionPlan plan(int batch) {
        return plans.computeIfAbsent(batch, b -> ContractionPlan.optimal(network(b)));
    }

    /** Rows for ids (any shape [...]) as [..., hidden]; each id must be in [0, vocabulary). */
    public Tensor forward(int[] ids, int... idsShape) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            int count = 1;
            for (int s : idsShape) {
                count *= s;
            }
            if (count != ids.length) {
                throw new IllegalArgumentException("TtmEmbedding: " + ids.length + " ids for shape " + Arrays.toString(idsShape));
            }
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0 || ids[i] >= vocabulary) {
                    throw new IndexOutOfBoundsException("TtmEmbedding: id " + ids[i] + " at position " + i
                            + " out of range [0, " + vocabulary + ")");
                }
            }
            if (ids.length == 0) {
                int[] empty = Arrays.copyOf(idsShape, idsShape.length + 1);
                empty[idsShape.length] = spec.cols;
                return Tensor.zeros(empty);
            }
            int[] outShape = Arrays.copyOf(idsShape, idsShape.length + 1);
            outShape[idsShape.length] = spec.cols;
            // contract each distinct id once (a batch repeats words), then spread the rows to the tokens
            java.util.LinkedHashMap<Integer, Integer> slot = new java.util.LinkedHashMap<>();
            int[] inverse = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                Integer at = slot.putIfAbsent(ids[i], slot.size());
                inverse[i] = at == null ? slot.size() - 1 : at;
            }
            int[] unique = new int[slot.size()];
            slot.forEach((id, at) -> unique[at] = id);
            if (buildsTable(unique.length)) {
                return Ops.indexSelect(spec.toDense(effectiveCores()), 0, ids).reshape(outShape);
            }
            Tensor rows = lookup(unique);
            return (unique.length == ids.length && isIdentity(inverse) ? rows : Ops.indexSelect(rows, 0, inverse)).reshape(outShape);
        }
    }

    /** Whether looking up this many distinct ids costs more multiply-adds than building the whole table. */
    public boolean buildsTable(int distinctIds) {
        return plan(distinctIds).flops() > spec.densePlan().flops();
    }

    private static boolean isIdentity(int[] p) {
        for (int i = 0; i < p.length; i++) {
            if (p[i] != i) {
                return false;
            }
        }
        return true;
    }

    /** Rows [ids.length, hidden] for distinct ids, contracting only their core slices. */
    private Tensor lookup(int[] ids) {
        int d = spec.d, b = ids.length;
        Tensor[] source = effectiveCores();
        Tensor[] slices = new Tensor[d];
        int[] rem = ids.clone();
        for (int k = d - 1; k >= 0; k--) {
            int[] idx = new int[b];
            for (int i = 0; i < b; i++) {
                idx[i] = rem[i] % spec.rowModes[k];
                rem[i] /= spec.rowModes[k];
            }
            // [m, p, n, p'] first so the gathered slices come out [b, p, n, p'] with no copy later
            Tensor byRow = source[k].permute(1, 0, 2, 3);
            Tensor s = Ops.indexSelect(byRow, 0, idx);
            List<Integer> dims = new ArrayList<>();
            dims.add(b);
            if (k > 0) {
                dims.add(spec.ranks[k]);
            }
            dims.add(spec.colModes[k]);
            if (k < d - 1) {
                dims.add(spec.ranks[k + 1]);
            }
            slices[k] = s.reshape(dims.stream().mapToInt(Integer::intValue).toArray());
        }
        return plan(b).execute(slices).reshape(b, spec.cols);
    }

    /** The dense table [vocabulary, hidden] (tests and debugging only). */
    public Tensor toDense() {
        return spec.toDense(cores).slice(0, 0, vocabulary);
    }
}
