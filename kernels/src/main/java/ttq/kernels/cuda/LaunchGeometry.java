package ttq.kernels.cuda;

/**
 * Grid and block sizes of one kernel launch, with dynamic shared memory, computed on the host so
 * they can be tested without a GPU. The factories mirror the kernels' indexing in
 * {@code native/cuda/ttq_cuda_kernels.cu}: {@link #BLOCK} and {@link #TILE} equal its
 * {@code TTQ_BLOCK} and {@code TTQ_TILE}.
 */
public record LaunchGeometry(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes) {
    /** Threads per block of the 1-D and per-row kernels (a power of two: the block reductions need it). */
    public static final int BLOCK = 256;
    /** Tile edge of the batched GEMM and INT8 GEMM kernels. */
    public static final int TILE = 16;
    /** Grid-stride kernels are launched with at most this many blocks; each thread loops over the rest. */
    public static final int MAX_STRIDE_BLOCKS = 4096;
    /** CUDA's limits on grid dimensions y and z. */
    public static final int MAX_GRID_YZ = 65535;
    /** Dynamic shared memory a block may use without opting in (48 KiB on every GPU CUDA 13 supports). */
    public static final int MAX_SHARED_BYTES = 48 * 1024;

    public LaunchGeometry {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException("grid " + gridX + "x" + gridY + "x" + gridZ + " is outside CUDA's limits (x >= 1, y and z in 1.."
                    + MAX_GRID_YZ + ")");
        }
        if (blockX < 1 || blockY < 1 || blockZ < 1 || (long) blockX * blockY * blockZ > 1024) {
            throw new IllegalArgumentException("block " + blockX + "x" + blockY + "x" + blockZ + " must have 1..1024 threads");
        }
        if (sharedBytes < 0 || sharedBytes > MAX_SHARED_BYTES) {
            throw new IllegalArgumentException("dynamic shared memory " + sharedBytes + " bytes is outside 0.." + MAX_SHARED_BYTES);
        }
    }

    /** Grid-stride loop over n elements: enough blocks to cover n, capped (a kernel with n = 0 still gets one block). */
    public static LaunchGeometry elementwise(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("element count " + n + " < 0");
        }
        return new LaunchGeometry(stridedBlocks(n), 1, 1, BLOCK, 1, 1, 0);
    }

    /** Blocks of a grid-stride launch over n elements: {@code ceil(n / BLOCK)} capped at {@link #MAX_STRIDE_BLOCKS}. */
    public static int stridedBlocks(long n) {
        return (int) Math.max(1, Math.min(MAX_STRIDE_BLOCKS, (n + BLOCK - 1) / BLOCK));
    }

    /** One block per row (softmax, layer norm). */
    public static LaunchGeometry perRow(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("rows " + rows + " < 1");
        }
        return new LaunchGeometry(rows, 1, 1, BLOCK, 1, 1, 0);
    }

    /** One thread per column (column sums). */
    public static LaunchGeometry perColumn(int cols) {
        if (cols < 1) {
            throw new IllegalArgumentException("columns " + cols + " < 1");
        }
        return new LaunchGeometry((cols + BLOCK - 1) / BLOCK, 1, 1, BLOCK, 1, 1, 0);
    }

    /** TILE x TILE threads per block over an m x n output, one grid layer per batch entry. */
    public static LaunchGeometry tiles(int m, int n, int batch) {
        if (m < 1 || n < 1 || batch < 1) {
            throw new IllegalArgumentException("tiled output " + m + "x" + n + " x batch " + batch + " must be positive");
        }
        int gy = (m + TILE - 1) / TILE;
        if (gy > MAX_GRID_YZ || batch > MAX_GRID_YZ) {
            throw new IllegalArgumentException("tiled output " + m + "x" + n + " x batch " + batch + " needs a grid of "
                    + gy + " rows of tiles and " + batch + " layers; CUDA allows " + MAX_GRID_YZ + " (split the call)");
        }
        return new LaunchGeometry((n + TILE - 1) / TILE, gy, batch, TILE, TILE, 1, 0);
    }

    /** One block per token with two work buffers of {@code workFloats} floats in shared memory. */
    public static LaunchGeometry perToken(int tokens, int workFloats) {
        if (tokens < 1) {
            throw new IllegalArgumentException("tokens " + tokens + " < 1");
        }
        long bytes = 2L * workFloats * Float.BYTES;
        if (workFloats < 1 || bytes > MAX_SHARED_BYTES) {
            throw new IllegalArgumentException("TTM lookup needs " + bytes + " bytes of shared memory for intermediates of "
                    + workFloats + " floats; at most " + MAX_SHARED_BYTES + " (lower the ranks or split the modes)");
        }
        return new LaunchGeometry(tokens, 1, 1, 128, 1, 1, (int) bytes);
    }

    /** Total threads launched. */
    public long threads() {
        return (long) gridX * gridY * gridZ * blockX * blockY * blockZ;
    }
}
