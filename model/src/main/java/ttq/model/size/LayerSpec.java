package ttq.model.size;

import java.util.Arrays;
import java.util.Objects;

/**
 * One layer (or {@code count} identical layers) of a model, as far as size and FLOPs accounting
 * needs it. Build with the factories ({@link #tt}, {@link #dense}, ...), which check the shape.
 *
 * <p>Fields by kind: linear layers (DENSE, TT, TTM) map {@code in} features to {@code out};
 * TT/TTM weights W (out x in) are factorised with {@code outModes} (rows, M = prod) and
 * {@code inModes} (columns, N = prod). Embeddings map a token id to a vector: {@code in} is the
 * vocabulary and {@code out} the hidden size; a TTM embedding's {@code inModes} are its row modes
 * (prod >= vocabulary, the table is padded) and {@code outModes} its column modes (prod = hidden).
 * OTHER holds {@code params} loose FP32 parameters. {@code rank} is the bond rank of every inner
 * bond (compressed kinds only).
 *
 * <p>{@code quantized}: whether the weights (cores, or the dense matrix) are stored and multiplied
 * at the model's precision; biases and OTHER parameters are always FP32. {@code group} is a free
 * label ("embedding", "encoder", "head") for subtotals.
 */
public record LayerSpec(String name, String group, LayerKind kind, int in, int out, int[] outModes, int[] inModes,
        int rank, boolean bias, int count, boolean quantized, long params) {

    /** Largest number of core elements one layer may have (the costing builds the layer). */
    public static final long MAX_CORE_ELEMENTS = 1L << 26;

    /** Checks the fields (IllegalArgumentException naming the problem) and copies the arrays. */
    public LayerSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("layer name must not be empty");
        }
        if (group == null || group.isBlank()) {
            throw new IllegalArgumentException(name + ": group must not be empty");
        }
        Objects.requireNonNull(kind, "kind");
        if (count < 1) {
            throw new IllegalArgumentException(name + ": count must be >= 1, got " + count);
        }
        outModes = outModes == null ? new int[0] : outModes.clone();
        inModes = inModes == null ? new int[0] : inModes.clone();
        switch (kind) {
            case OTHER -> {
                if (params < 1) {
                    throw new IllegalArgumentException(name + ": an 'other' layer needs params >= 1, got " + params);
                }
                if (quantized) {
                    throw new IllegalArgumentException(name + ": 'other' parameters stay FP32 and cannot be quantized");
                }
                requireNone(name, kind, in == 0 && out == 0 && outModes.length == 0 && inModes.length == 0 && rank == 0 && !bias);
            }
            case DENSE, DENSE_EMBEDDING -> {
                if (in < 1 || out < 1) {
                    throw new IllegalArgumentException(name + ": sizes must be >= 1, got in=" + in + " out=" + out);
                }
                requireNone(name, kind, outModes.length == 0 && inModes.length == 0 && rank == 0 && params == 0
                        && !(kind == LayerKind.DENSE_EMBEDDING && bias));
            }
            case TT, TTM, TTM_EMBEDDING -> {
                String outWhat = kind == LayerKind.TTM_EMBEDDING ? "column modes" : "out modes";
                String inWhat = kind == LayerKind.TTM_EMBEDDING ? "row modes" : "in modes";
                long outProduct = product(name, outWhat, outModes), inProduct = product(name, inWhat, inModes);
                if (outModes.length != inModes.length) {
                    throw new IllegalArgumentException(name + ": " + outModes.length + " " + outWhat + " but " + inModes.length
                            + " " + inWhat + " (each core pairs one of each)");
                }
                if (rank < 1) {
                    throw new IllegalArgumentException(name + ": rank must be >= 1, got " + rank);
                }
                if (out != outProduct) {
                    throw new IllegalArgumentException(name + ": " + outWhat + " " + Arrays.toString(outModes) + " multiply to "
                            + outProduct + ", not " + out);
                }
                if (kind == LayerKind.TTM_EMBEDDING) {
                    if (in < 1 || in > inProduct) {
                        throw new IllegalArgumentException(name + ": vocabulary " + in + " must be in [1, " + inProduct
                                + "] (the product of the row modes " + Arrays.toString(inModes) + ")");
                    }
                } else if (in != inProduct) {
                    throw new IllegalArgumentException(name + ": " + inWhat + " " + Arrays.toString(inModes) + " multiply to "
                            + inProduct + ", not " + in);
                }
                requireNone(name, kind, params == 0 && !(kind == LayerKind.TTM_EMBEDDING && bias));
                long elements = coreElementBound(kind, outModes, inModes, rank);
                if (elements > MAX_CORE_ELEMENTS) {
                    throw new IllegalArgumentException(name + ": about " + elements + " core elements at rank " + rank
                            + ", more than the " + MAX_CORE_ELEMENTS + " this tool builds");
                }
            }
            default -> throw new IllegalStateException(kind.toString());
        }
    }

    /** A TT linear layer; W (M x N) with M = prod(outModes), N = prod(inModes). */
    public static LayerSpec tt(String name, String group, int[] outModes, int[] inModes, int rank, boolean bias, int count,
            boolean quantized) {
        return new LayerSpec(name, group, LayerKind.TT, (int) product(name, "in modes", inModes),
                (int) product(name, "out modes", outModes), outModes, inModes, rank, bias, count, quantized, 0);
    }

    /** A TTM linear layer; W (M x N) with M = prod(outModes), N = prod(inModes). */
    public static LayerSpec ttm(String name, String group, int[] outModes, int[] inModes, int rank, boolean bias, int count,
            boolean quantized) {
        return new LayerSpec(name, group, LayerKind.TTM, (int) product(name, "in modes", inModes),
                (int) product(name, "out modes", outModes), outModes, inModes, rank, bias, count, quantized, 0);
    }

    /** A dense linear layer in -> out. */
    public static LayerSpec dense(String name, String group, int in, int out, boolean bias, int count, boolean quantized) {
        return new LayerSpec(name, group, LayerKind.DENSE, in, out, null, null, 0, bias, count, quantized, 0);
    }

    /** A TTM embedding of {@code vocabulary} rows (row modes may multiply to more) and prod(colModes) columns. */
    public static LayerSpec ttmEmbedding(String name, String group, int vocabulary, int[] rowModes, int[] colModes, int rank,
            int count, boolean quantized) {
        return new LayerSpec(name, group, LayerKind.TTM_EMBEDDING, vocabulary, (int) product(name, "column modes", colModes),
                colModes, rowModes, rank, false, count, quantized, 0);
    }

    /** A dense embedding table vocabulary x hidden. */
    public static LayerSpec denseEmbedding(String name, String group, int vocabulary, int hidden, int count, boolean quantized) {
        return new LayerSpec(name, group, LayerKind.DENSE_EMBEDDING, vocabulary, hidden, null, null, 0, false, count, quantized, 0);
    }

    /** Loose FP32 parameters (e.g. a LayerNorm's gamma and beta: 2 * hidden). */
    public static LayerSpec other(String name, String group, long params, int count) {
        return new LayerSpec(name, group, LayerKind.OTHER, 0, 0, null, null, 0, false, count, false, params);
    }

    @Override
    public int[] outModes() {
        return outModes.clone();
    }

    @Override
    public int[] inModes() {
        return inModes.clone();
    }

    /** The same layer with another count. */
    public LayerSpec withCount(int newCount) {
        return new LayerSpec(name, group, kind, in, out, outModes, inModes, rank, bias, newCount, quantized, params);
    }

    /** Shape for display: "in->out" for linears, "vocab x hidden" for embeddings, "-" otherwise. */
    public String shapeText() {
        return switch (kind) {
            case DENSE, TT, TTM -> in + "->" + out;
            case DENSE_EMBEDDING, TTM_EMBEDDING -> in + "x" + out;
            case OTHER -> "-";
        };
    }

    /** Modes as rows x columns of the factorised matrix, e.g. "(24,32)x(32,24)"; "-" when dense. */
    public String modesText() {
        if (!kind.isCompressed()) {
            return "-";
        }
        int[] rows = kind == LayerKind.TTM_EMBEDDING ? inModes : outModes;
        int[] cols = kind == LayerKind.TTM_EMBEDDING ? outModes : inModes;
        return tuple(rows) + "x" + tuple(cols);
    }

    private static String tuple(int[] modes) {
        return Arrays.toString(modes).replace('[', '(').replace(']', ')').replace(" ", "");
    }

    private static void requireNone(String name, LayerKind kind, boolean ok) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": a " + kind.key() + " layer was given fields it does not have");
        }
    }

    private static long product(String name, String what, int[] modes) {
        if (modes == null || modes.length == 0) {
            throw new IllegalArgumentException(name + ": " + what + " need at least one mode");
        }
        long p = 1;
        for (int m : modes) {
            if (m < 1) {
                throw new IllegalArgumentException(name + ": " + what + " must be >= 1, got " + Arrays.toString(modes));
            }
            p *= m;
            if (p > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + ": " + what + " " + Arrays.toString(modes) + " multiply past 2^31");
            }
        }
        return p;
    }

    /** Core elements at this rank: exact for uniform inner ranks (boundary ranks 1). */
    private static long coreElementBound(LayerKind kind, int[] outModes, int[] inModes, int rank) {
        long total = 0;
        if (kind == LayerKind.TT) {
            int cores = 2 * outModes.length;
            for (int k = 0; k < cores; k++) {
                int dim = k < outModes.length ? outModes[k] : inModes[k - outModes.length];
                total += (long) (k == 0 ? 1 : rank) * dim * (k == cores - 1 ? 1 : rank);
            }
        } else {
            int d = outModes.length;
            for (int k = 0; k < d; k++) {
                total += (long) (k == 0 ? 1 : rank) * outModes[k] * inModes[k] * (k == d - 1 ? 1 : rank);
            }
        }
        return total;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LayerSpec s && name.equals(s.name) && group.equals(s.group) && kind == s.kind && in == s.in
                && out == s.out && Arrays.equals(outModes, s.outModes) && Arrays.equals(inModes, s.inModes) && rank == s.rank
                && bias == s.bias && count == s.count && quantized == s.quantized && params == s.params;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, group, kind, in, out, Arrays.hashCode(outModes), Arrays.hashCode(inModes), rank, bias, count,
                quantized, params);
    }

    @Override
    public String toString() {
        return "LayerSpec[" + name + " (" + group + "), " + kind.key() + " " + shapeText() + " " + modesText()
                + (kind.isCompressed() ? " rank " + rank : "") + (kind == LayerKind.OTHER ? " params " + params : "")
                + (bias ? " +bias" : "") + " x" + count + (quantized ? " quantized" : " fp32") + "]";
    }
}
