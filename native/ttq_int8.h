// INT8 x INT8 -> INT32 products for quantized inference: the portable reference path here, the
// SIMD paths (AVX2, AVX-VNNI, AVX-512 VNNI) in ttq_int8_packed.h. Integer arithmetic wraps modulo
// 2^32 on every path, so all paths are bit-exact whatever the summation order. The caller (Java)
// chooses the path once from CPUID and never passes one the CPU lacks; each SIMD function carries
// its own target attribute so the library itself needs only baseline x86-64.
#pragma once
#include <stdint.h>

// C[m, n] = sum_k A[m, k] * B[n, k] for rows m in [m0, m1): A is M x K (lda), B is N x K (ldb), both
// k-contiguous; C is M x N (ldc). Products are exact; sums wrap like Java int arithmetic.
static inline int32_t ttq_i8_dot_scalar(const int8_t* a, const int8_t* b, int k0, int k1) {
    uint32_t s = 0;
    for (int k = k0; k < k1; k++) {
        s += (uint32_t)((int32_t)a[k] * (int32_t)b[k]);
    }
    return (int32_t)s;
}

// Portable entry point: rows [m0, m1) of C = A B^T. Offsets address sub-arrays of pinned Java arrays.
static void ttq_i8gemm(int N, int K, const int8_t* A, int64_t offA, int lda, const int8_t* B, int64_t offB, int ldb,
                       int32_t* C, int64_t offC, int ldc, int m0, int m1) {
    A += offA;
    B += offB;
    C += offC;
    for (int m = m0; m < m1; m++) {
        for (int n = 0; n < N; n++) {
            C[(int64_t)m * ldc + n] = ttq_i8_dot_scalar(A + (int64_t)m * lda, B + (int64_t)n * ldb, 0, K);
        }
    }
}
