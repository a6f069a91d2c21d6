package ttq.kernels;

/**
 * The rank-r bottleneck linear layer y = [x V^T, 1] [U, b]^T (a TT layer contracted at its middle
 * bond) as two fused passes over row blocks ({@code native/ttq_factored.h}): every big operand
 * (x, y, the output gradient g, dx) streams through memory once per pass, where separate skinny
 * GEMMs would read x and g twice, and each pass wakes the worker threads once instead of two or
 * four times. Weight gradients are summed in per-thread accumulators, then added here.
 *
 * <p>Shapes: x [B, N], V [r, N], upT = [U, b]^T [k, M] with k = r, or r + 1 with a bias row,
 * hp = [h, 1] [B, k], y and g [B, M]. Every extent is checked before the native call.
 */
public final class FactoredKernels {
    /** Largest bond (k = r, + 1 with a bias) the fused kernels take (a stack buffer in C). */
    public static final int MAX_K = 32;
    /** Rows per block in the native passes (TTQ_FACTORED_BLOCK): a thread gets at least one block. */
    private static final int BLOCK_ROWS = 32;
    private static final float[] UNUSED = new float[1];

    static {
        NativeLibrary.require();
    }

    private FactoredKernels() {
    }

    /** hp = [x V^T, 1] (the ones column only when k = r + 1) and y = hp upT; hp and y are overwritten. */
    public static void forward(int b, int m, int n, int r, int k, float[] x, float[] v, float[] upT, float[] hp, float[] y) {
        forward(SkinnyGemm.ISA, b, m, n, r, k, x, v, upT, hp, y);
    }

    static void forward(int isa, int b, int m, int n, int r, int k, float[] x, float[] v, float[] upT, float[] hp, float[] y) {
        checkIsa(isa);
        checkBond("forward", r, k, b, m, n);
        need("forward", "x", x, (long) b * n);
        need("forward", "V", v, (long) r * n);
        need("forward", "upT", upT, (long) k * m);
        need("forward", "hp", hp, (long) b * k);
        need("forward", "y", y, (long) b * m);
        distinct("forward", new float[][] {hp, y}, x, v, upT);
        if (hp == y) {
            throw new IllegalArgumentException("factored forward: hp and y are the same array");
        }
        if (b == 0) {
            return;
        }
        int chunks = chunks(b, (long) m * k + (long) n * r);
        Parallel.forChunks(chunks, c -> {
            int from = (int) ((long) b * c / chunks), to = (int) ((long) b * (c + 1) / chunks);
            NativeKernels.ttq_factored_forward(isa, to - from, m, n, r, k, x, (long) from * n, v, upT, hp, (long) from * k, y, (long) from * m);
        });
    }

    /**
     * Gradients of y = [x V^T, 1] [U, b]^T for the output gradient g: dx (overwritten) when non-null,
     * dV [r, N] and dUp = d[U, b]^T [k, M] <b>added to</b> when non-null.
     */
    public static void backward(int b, int m, int n, int r, int k, float[] g, float[] x, float[] hp, float[] upT, float[] v,
                                float[] dx, float[] dv, float[] dupT) {
        backward(SkinnyGemm.ISA, b, m, n, r, k, g, x, hp, upT, v, dx, dv, dupT);
    }

    static void backward(int isa, int b, int m, int n, int r, int k, float[] g, float[] x, float[] hp, float[] upT, float[] v,
                         float[] dx, float[] dv, float[] dupT) {
        checkIsa(isa);
        checkBond("backward", r, k, b, m, n);
        need("backward", "g", g, (long) b * m);
        need("backward", "x", x, (long) b * n);
        need("backward", "hp", hp, (long) b * k);
        need("backward", "upT", upT, (long) k * m);
        need("backward", "V", v, (long) r * n);
        int flags = 0;
        if (dx != null) {
            need("backward", "dx", dx, (long) b * n);
            flags |= 1;
        }
        if (dv != null) {
            need("backward", "dV", dv, (long) r * n);
            flags |= 2;
        }
        if (dupT != null) {
            need("backward", "dUp", dupT, (long) k * m);
            flags |= 4;
        }
        distinct("backward", new float[][] {dx, dv, dupT}, g, x, hp, upT, v);
        if ((dx != null && (dx == dv || dx == dupT)) || (dv != null && dv == dupT)) {
            throw new IllegalArgumentException("factored backward: two gradient outputs are the same array");
        }
        if (b == 0 || flags == 0) {
            return;
        }
        int chunks = chunks(b, 2L * m * k + 2L * n * r);
        float[][] dvPart = new float[chunks][], dupPart = new float[chunks][];
        float[] dxArg = dx == null ? UNUSED : dx;
        int f = flags;
        Parallel.forChunks(chunks, c -> {
            int from = (int) ((long) b * c / chunks), to = (int) ((long) b * (c + 1) / chunks);
            // Chunk 0 adds straight into the outputs, the others into arrays allocated here, by the
            // thread that runs them: from its own allocation buffer, far from the caller's arrays.
            // Per-chunk arrays the caller allocated sat side by side on the heap, and two cores
            // read-modify-writing neighbouring arrays ran this pass 1.3x faster than one core
            // instead of 2x. The sums are added in chunk order, whichever thread ran a chunk.
            float[] dvAcc = dv == null ? UNUSED : c == 0 ? dv : new float[r * n];
            float[] dupAcc = dupT == null ? UNUSED : c == 0 ? dupT : new float[k * m];
            dvPart[c] = dvAcc;
            dupPart[c] = dupAcc;
            NativeKernels.ttq_factored_backward(isa, f, to - from, m, n, r, k, g, (long) from * m, x, (long) from * n,
                    hp, (long) from * k, upT, v, dxArg, dx == null ? 0 : (long) from * n, dvAcc, dupAcc);
        });
        for (int c = 1; c < chunks; c++) {
            if (dv != null) {
                add(dv, dvPart[c], r * n);
            }
            if (dupT != null) {
                add(dupT, dupPart[c], k * m);
            }
        }
    }

    private static void add(float[] into, float[] part, int n) {
        for (int i = 0; i < n; i++) {
            into[i] += part[i];
        }
    }

    /** One chunk per core when the rows carry enough work (about 2^17 multiply-adds per call). */
    private static int chunks(int rows, long workPerRow) {
        int t = Parallel.threads();
        if (t < 2 || rows < 2 * BLOCK_ROWS || rows * workPerRow < (1L << 17)) {
            return 1;
        }
        return Math.min(t, rows / BLOCK_ROWS);
    }

    private static void checkIsa(int isa) {
        if (!SkinnyGemm.available(isa)) {
            throw new IllegalArgumentException("factored kernels: path " + isa + " is not available on this CPU");
        }
    }

    private static void checkBond(String op, int r, int k, int b, int m, int n) {
        if (r < 1 || (k != r && k != r + 1) || k > MAX_K) {
            throw new IllegalArgumentException("factored " + op + ": bond r = " + r + ", k = " + k
                    + " (need r >= 1, k = r or r + 1, k <= " + MAX_K + ")");
        }
        if (b < 0 || m < 1 || n < 1) {
            throw new IllegalArgumentException("factored " + op + ": extents B = " + b + ", M = " + m + ", N = " + n
                    + " (need B >= 0, M, N >= 1)");
        }
    }

    private static void need(String op, String name, float[] a, long elements) {
        if (a == null) {
            throw new IllegalArgumentException("factored " + op + ": " + name + " is null");
        }
        if (a.length < elements) {
            throw new IllegalArgumentException("factored " + op + ": " + name + " has " + a.length + " elements, needs " + elements);
        }
    }

    private static void distinct(String op, float[][] outputs, float[]... inputs) {
        for (float[] o : outputs) {
            for (float[] i : inputs) {
                if (o != null && o == i) {
                    throw new IllegalArgumentException("factored " + op + ": an output array aliases an input");
                }
            }
        }
    }
}
