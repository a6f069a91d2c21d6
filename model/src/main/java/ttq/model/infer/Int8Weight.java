package ttq.model.infer;

import ttq.kernels.Int8Gemm;
import ttq.kernels.Int8Path;

/**
 * An INT8 weight B [N, K] (k-contiguous) packed once for the selected {@link Int8Path}, multiplied
 * from the left by activation codes A [M, K] on the calling thread: C = A B^T in int32, or straight
 * to floats with per-row and per-column scales. On the portable path B stays unpacked.
 */
final class Int8Weight {
    final int n, k;
    private final byte[] codes;
    private final Int8Gemm.Packed packed;

    Int8Weight(byte[] codes, int n, int k) {
        if (codes.length != n * k) {
            throw new IllegalArgumentException("int8 weight: " + codes.length + " codes for " + n + " x " + k);
        }
        this.n = n;
        this.k = k;
        this.codes = codes;
        Int8Path path = Int8Path.selected();
        this.packed = path == Int8Path.SCALAR ? null : Int8Gemm.pack(path, n, k, codes, 0, k);
    }

    /** C[offC + i * ldc + j] = sum_t A[offA + i * lda + t] B[j, t] for rows i in [0, m). */
    void multiply(int m, byte[] a, int offA, int lda, int[] c, int offC, int ldc) {
        if (packed != null) {
            Int8Gemm.gemmSerial(packed, m, a, offA, lda, c, offC, ldc);
        } else {
            Int8Gemm.gemmScalarSerial(m, n, k, a, offA, lda, codes, 0, k, c, offC, ldc);
        }
    }

    /**
     * F[offF + i * ldf + j] = scale * rowScale[offRs + i] * colScale[j] * (A B^T)[i, j] + bias[j]
     * (rowScale, colScale, bias may be null); {@code acc} is int32 scratch of m * n for the portable path.
     */
    void multiplyToFloat(int m, byte[] a, int offA, int lda, float[] f, int offF, int ldf, float scale, float[] rowScale, int offRs,
                         float[] colScale, float[] bias, Scratch s) {
        if (packed != null) {
            Int8Gemm.gemmToFloatSerial(packed, m, a, offA, lda, f, offF, ldf, scale, rowScale, offRs, colScale, bias);
            return;
        }
        int[] acc = s.acc(m * n);
        Int8Gemm.gemmScalarSerial(m, n, k, a, offA, lda, codes, 0, k, acc, 0, n);
        for (int i = 0; i < m; i++) {
            float rs = scale * (rowScale == null ? 1f : rowScale[offRs + i]);
            for (int j = 0; j < n; j++) {
                f[offF + i * ldf + j] = acc[i * n + j] * (rs * (colScale == null ? 1f : colScale[j])) + (bias == null ? 0f : bias[j]);
            }
        }
    }

    /** Whether the AVX2 byte kernel serves this weight (every |b| <= 16), for {@code ttq info --model}. */
    boolean narrow() {
        return packed != null && packed.narrow();
    }
}
