// Thin sgemm entry points over OpenBLAS's cblas_sgemm taking base pointers plus element offsets,
// so the engine can hand over pinned Java arrays (JNI critical regions) without copies.
#pragma once
#include <cblas.h>
#include <stdint.h>

static void ttq_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                      const float* a, int64_t offA, int lda, const float* b, int64_t offB, int ldb,
                      float beta, float* c, int64_t offC, int ldc) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, a + offA, lda, b + offB, ldb, beta, c + offC, ldc);
}

// batch independent products C_i = alpha * op(A_i) op(B_i) + beta * C_i with fixed strides
// (stride 0 broadcasts one operand over the batch).
static void ttq_sgemm_batched(int transA, int transB, int m, int n, int k, float alpha,
                              const float* a, int64_t offA, int lda, int64_t strideA,
                              const float* b, int64_t offB, int ldb, int64_t strideB,
                              float beta, float* c, int64_t offC, int ldc, int64_t strideC, int batch) {
    for (int i = 0; i < batch; i++) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    m, n, k, alpha, a + offA + i * strideA, lda, b + offB + i * strideB, ldb,
                    beta, c + offC + i * strideC, ldc);
    }
}

// OpenBLAS build and threading facts, for `ttq info` and benchmarks.
static const char* ttq_openblas_corename() { return openblas_get_corename(); }
static const char* ttq_openblas_config() { return openblas_get_config(); }
static int ttq_openblas_threads() { return openblas_get_num_threads(); }
static void ttq_openblas_set_threads(int n) { openblas_set_num_threads(n); }
