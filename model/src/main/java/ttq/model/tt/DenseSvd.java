package ttq.model.tt;

import org.bytedeco.openblas.global.openblas;

/**
 * Thin singular value decomposition of a dense row-major double matrix through LAPACKE_dgesdd
 * (OpenBLAS, {@code jobz = 'S'}). Sizes are checked here so that nothing inconsistent reaches
 * native code.
 */
final class DenseSvd {

    private static final String[] DGESDD_ARGUMENTS = {
        "matrix_layout", "jobz", "m", "n", "a", "lda", "s", "u", "ldu", "vt", "ldvt"
    };

    /**
     * A thin SVD {@code A = U diag(s) Vt} with {@code k = min(rows, cols)}: {@code u} is
     * {@code rows x k}, {@code s} holds k values in non-increasing order, {@code vt} is
     * {@code k x cols}, all row-major.
     */
    record Result(int rows, int cols, double[] u, double[] s, double[] vt) {
        int k() {
            return s.length;
        }
    }

    private DenseSvd() {
    }

    /**
     * Decomposes the {@code rows x cols} row-major matrix {@code a}. The contents of {@code a} are
     * destroyed (LAPACK overwrites it).
     *
     * @throws IllegalArgumentException if the sizes are inconsistent or a value is not finite
     * @throws ArithmeticException if the SVD did not converge
     * @throws IllegalStateException if LAPACKE rejected an argument or ran out of memory
     */
    static Result compute(double[] a, int rows, int cols) {
        if (a == null) {
            throw new IllegalArgumentException("matrix is null");
        }
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("SVD of a " + rows + " x " + cols + " matrix: both sizes must be at least 1");
        }
        if ((long) rows * cols != a.length) {
            throw new IllegalArgumentException("SVD of a " + rows + " x " + cols + " matrix, but the array holds "
                    + a.length + " values");
        }
        for (int i = 0; i < a.length; i++) {
            if (!Double.isFinite(a[i])) {
                throw new IllegalArgumentException("SVD input holds a non-finite value " + a[i] + " at row " + (i / cols)
                        + ", column " + (i % cols));
            }
        }
        int k = Math.min(rows, cols);
        double[] s = new double[k];
        double[] u = new double[Math.multiplyExact(rows, k)];
        double[] vt = new double[Math.multiplyExact(k, cols)];
        // Row-major: lda = cols, ldu = k (u is rows x k), ldvt = cols (vt is k x cols).
        int info = openblas.LAPACKE_dgesdd(openblas.LAPACK_ROW_MAJOR, (byte) 'S', rows, cols, a, cols, s, u, k, vt, cols);
        if (info > 0) {
            throw new ArithmeticException("LAPACKE_dgesdd did not converge on a " + rows + " x " + cols
                    + " matrix (info = " + info + ")");
        }
        if (info < 0) {
            throw new IllegalStateException(describeError(info, rows, cols));
        }
        return new Result(rows, cols, u, s, vt);
    }

    private static String describeError(int info, int rows, int cols) {
        String where = " (LAPACKE_dgesdd on a " + rows + " x " + cols + " matrix, info = " + info + ")";
        if (info == openblas.LAPACK_WORK_MEMORY_ERROR || info == openblas.LAPACK_TRANSPOSE_MEMORY_ERROR) {
            return "LAPACKE ran out of memory" + where;
        }
        int arg = -info;
        if (arg >= 1 && arg <= DGESDD_ARGUMENTS.length) {
            return "illegal value of argument " + arg + " (" + DGESDD_ARGUMENTS[arg - 1] + ")" + where;
        }
        return "LAPACKE error" + where;
    }
}
