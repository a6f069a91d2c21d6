package ttq.engine.backend;

/**
 * Iterates over a shape for up to three operands with arbitrary element strides (0 for broadcast
 * dimensions). Dimensions that are contiguous for every operand are merged first, so the caller's
 * inner loop runs as long as possible:
 * <pre>
 * StridedLoop it = new StridedLoop(shape, strideA, strideB, strideOut);
 * do { for (int j = 0; j &lt; it.inner; j++) ... it.offset[0] + j * it.innerStride[0] ... } while (it.next());
 * </pre>
 * When the shape has no elements, {@link #empty} is true and the caller must not enter the loop.
 */
public final class StridedLoop {
    /** Length of the innermost (merged) dimension. */
    public final int inner;
    /** Strides of each operand along the innermost dimension. */
    public final int[] innerStride;
    /** Current base offset of each operand. */
    public final int[] offset;
    /** True when the iteration space has no elements. */
    public final boolean empty;

    private final int[] outerShape;
    private final int[][] outerStrides;
    private final int[] counter;

    /** A loop over every index of shape, advancing one offset per strides array (stride 0 broadcasts). */
    public StridedLoop(int[] shape, int[]... strides) {
        int ops = strides.length;
        boolean isEmpty = false;
        for (int d : shape) {
            if (d == 0) {
                isEmpty = true;
            }
        }
        empty = isEmpty;
        // drop size-1 dimensions, then merge dims that are contiguous for every operand
        int[] dims = new int[shape.length];
        int[][] st = new int[ops][shape.length];
        int n = 0;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) {
                continue;
            }
            dims[n] = shape[i];
            for (int k = 0; k < ops; k++) {
                st[k][n] = strides[k][i];
            }
            n++;
        }
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (m > 0) {
                boolean merge = true;
                for (int k = 0; k < ops; k++) {
                    if (st[k][m - 1] != st[k][i] * dims[i]) {
                        merge = false;
                        break;
                    }
                }
                if (merge) {
                    dims[m - 1] *= dims[i];
                    for (int k = 0; k < ops; k++) {
                        st[k][m - 1] = st[k][i];
                    }
                    continue;
                }
            }
            dims[m] = dims[i];
            for (int k = 0; k < ops; k++) {
                st[k][m] = st[k][i];
            }
            m++;
        }
        innerStride = new int[ops];
        offset = new int[ops];
        if (m == 0) {
            inner = 1;
            outerShape = new int[0];
            outerStrides = new int[ops][0];
        } else {
            inner = dims[m - 1];
            for (int k = 0; k < ops; k++) {
                innerStride[k] = st[k][m - 1];
            }
            outerShape = new int[m - 1];
            System.arraycopy(dims, 0, outerShape, 0, m - 1);
            outerStrides = new int[ops][m - 1];
            for (int k = 0; k < ops; k++) {
                System.arraycopy(st[k], 0, outerStrides[k], 0, m - 1);
            }
        }
        counter = new int[outerShape.length];
    }

    /** Advances to the next inner run; false when done. */
    public boolean next() {
        for (int d = outerShape.length - 1; d >= 0; d--) {
            counter[d]++;
            for (int k = 0; k < offset.length; k++) {
                offset[k] += outerStrides[k][d];
            }
            if (counter[d] < outerShape[d]) {
                return true;
            }
            for (int k = 0; k < offset.length; k++) {
                offset[k] -= outerStrides[k][d] * outerShape[d];
            }
            counter[d] = 0;
        }
        return false;
    }
}
