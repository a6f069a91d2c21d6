// INT8 x INT8 -> INT32 products for quantized inference, with one implementation per ISA:
// portable C, AVX2 (sign-extend to int16 + vpmaddwd), AVX-VNNI and AVX-512 VNNI (vpdpbusd on
// a + 128 as unsigned, corrected by 128 * sum(b)). Integer arithmetic wraps modulo 2^32 on every
// path, so all paths are bit-exact whatever the summation order. The caller (Java) chooses the
// path once from CPUID and never passes one the CPU lacks; each function carries its own target
// attribute so the library itself needs only baseline x86-64.
#pragma once
#include <immintrin.h>
#include <stdint.h>

#define TTQ_I8_SCALAR 0
#define TTQ_I8_AVX2 1
#define TTQ_I8_AVXVNNI 2
#define TTQ_I8_AVX512VNNI 3

// C[m, n] = sum_k A[m, k] * B[n, k] for rows m in [m0, m1): A is M x K (lda), B is N x K (ldb), both
// k-contiguous; C is M x N (ldc). Products are exact; sums wrap like Java int arithmetic.
static inline int32_t ttq_i8_dot_scalar(const int8_t* a, const int8_t* b, int k0, int k1) {
    uint32_t s = 0;
    for (int k = k0; k < k1; k++) {
        s += (uint32_t)((int32_t)a[k] * (int32_t)b[k]);
    }
    return (int32_t)s;
}

static void ttq_i8gemm_scalar(int N, int K, const int8_t* A, int lda, const int8_t* B, int ldb,
                              int32_t* C, int ldc, int m0, int m1) {
    for (int m = m0; m < m1; m++) {
        for (int n = 0; n < N; n++) {
            C[(int64_t)m * ldc + n] = ttq_i8_dot_scalar(A + (int64_t)m * lda, B + (int64_t)n * ldb, 0, K);
        }
    }
}

__attribute__((target("avx2")))
static inline int32_t ttq_hsum256(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

// 2 rows of A x 4 rows of B per block; 16 k per step, widened to int16 and multiplied pairwise.
__attribute__((target("avx2")))
static void ttq_i8gemm_avx2(int N, int K, const int8_t* A, int lda, const int8_t* B, int ldb,
                            int32_t* C, int ldc, int m0, int m1) {
    const int K16 = K & ~15;
    int m = m0;
    for (; m + 2 <= m1; m += 2) {
        const int8_t* a0 = A + (int64_t)m * lda;
        const int8_t* a1 = a0 + lda;
        int n = 0;
        for (; n + 4 <= N; n += 4) {
            const int8_t* b0 = B + (int64_t)n * ldb;
            const int8_t* b1 = b0 + ldb;
            const int8_t* b2 = b1 + ldb;
            const int8_t* b3 = b2 + ldb;
            __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00;
            __m256i c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            for (int k = 0; k < K16; k += 16) {
                __m256i va0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(a0 + k)));
                __m256i va1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(a1 + k)));
                __m256i vb = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(b0 + k)));
                c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(va0, vb));
                c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(va1, vb));
                vb = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(b1 + k)));
                c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(va0, vb));
                c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(va1, vb));
                vb = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(b2 + k)));
                c02 = _mm256_add_epi32(c02, _mm256_madd_epi16(va0, vb));
                c12 = _mm256_add_epi32(c12, _mm256_madd_epi16(va1, vb));
                vb = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(b3 + k)));
                c03 = _mm256_add_epi32(c03, _mm256_madd_epi16(va0, vb));
                c13 = _mm256_add_epi32(c13, _mm256_madd_epi16(va1, vb));
            }
            int32_t* r0 = C + (int64_t)m * ldc + n;
            int32_t* r1 = r0 + ldc;
            r0[0] = (int32_t)((uint32_t)ttq_hsum256(c00) + (uint32_t)ttq_i8_dot_scalar(a0, b0, K16, K));
            r0[1] = (int32_t)((uint32_t)ttq_hsum256(c01) + (uint32_t)ttq_i8_dot_scalar(a0, b1, K16, K));
            r0[2] = (int32_t)((uint32_t)ttq_hsum256(c02) + (uint32_t)ttq_i8_dot_scalar(a0, b2, K16, K));
            r0[3] = (int32_t)((uint32_t)ttq_hsum256(c03) + (uint32_t)ttq_i8_dot_scalar(a0, b3, K16, K));
            r1[0] = (int32_t)((uint32_t)ttq_hsum256(c10) + (uint32_t)ttq_i8_dot_scalar(a1, b0, K16, K));
            r1[1] = (int32_t)((uint32_t)ttq_hsum256(c11) + (uint32_t)ttq_i8_dot_scalar(a1, b1, K16, K));
            r1[2] = (int32_t)((uint32_t)ttq_hsum256(c12) + (uint32_t)ttq_i8_dot_scalar(a1, b2, K16, K));
            r1[3] = (int32_t)((uint32_t)ttq_hsum256(c13) + (uint32_t)ttq_i8_dot_scalar(a1, b3, K16, K));
        }
        for (; n < N; n++) {
            const int8_t* b0 = B + (int64_t)n * ldb;
            C[(int64_t)m * ldc + n] = ttq_i8_dot_scalar(a0, b0, 0, K);
            C[(int64_t)(m + 1) * ldc + n] = ttq_i8_dot_scalar(a1, b0, 0, K);
        }
    }
    if (m < m1) {
        ttq_i8gemm_scalar(N, K, A, lda, B, ldb, C, ldc, m, m1);
    }
}

// Sum of each row of B (for the unsigned-offset correction of the VNNI paths).
static void ttq_i8_row_sums(int N, int K, const int8_t* B, int64_t offB, int ldb, int32_t* sums) {
    B += offB;
    for (int n = 0; n < N; n++) {
        int32_t s = 0;
        for (int k = 0; k < K; k++) {
            s += B[(int64_t)n * ldb + k];
        }
        sums[n] = s;
    }
}

// AVX-VNNI (VEX, 256-bit): 2 x 4 blocks, 32 k per step; a is flipped to unsigned (a ^ 0x80 = a + 128).
__attribute__((target("avx2,avxvnni")))
static void ttq_i8gemm_avxvnni(int N, int K, const int8_t* A, int lda, const int8_t* B, int ldb,
                               int32_t* C, int ldc, int m0, int m1, const int32_t* bsum) {
    const int K32 = K & ~31;
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    int m = m0;
    for (; m + 2 <= m1; m += 2) {
        const int8_t* a0 = A + (int64_t)m * lda;
        const int8_t* a1 = a0 + lda;
        int n = 0;
        for (; n + 4 <= N; n += 4) {
            const int8_t* b[4] = {B + (int64_t)n * ldb, B + (int64_t)(n + 1) * ldb, B + (int64_t)(n + 2) * ldb, B + (int64_t)(n + 3) * ldb};
            __m256i c0[4], c1[4];
            for (int j = 0; j < 4; j++) {
                c0[j] = _mm256_setzero_si256();
                c1[j] = _mm256_setzero_si256();
            }
            for (int k = 0; k < K32; k += 32) {
                __m256i va0 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(a0 + k)), flip);
                __m256i va1 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(a1 + k)), flip);
                for (int j = 0; j < 4; j++) {
                    __m256i vb = _mm256_loadu_si256((const __m256i*)(b[j] + k));
                    c0[j] = _mm256_dpbusd_avx_epi32(c0[j], va0, vb);
                    c1[j] = _mm256_dpbusd_avx_epi32(c1[j], va1, vb);
                }
            }
            for (int j = 0; j < 4; j++) {
                // sum over k < K32 of (a + 128) b, minus 128 * sum over k < K32 of b, plus the scalar tail
                uint32_t tailB = 0;
                for (int k = K32; k < K; k++) {
                    tailB += (uint32_t)(int32_t)b[j][k];
                }
                uint32_t corr = 128u * ((uint32_t)bsum[n + j] - tailB);
                C[(int64_t)m * ldc + n + j] = (int32_t)((uint32_t)ttq_hsum256(c0[j]) - corr + (uint32_t)ttq_i8_dot_scalar(a0, b[j], K32, K));
                C[(int64_t)(m + 1) * ldc + n + j] = (int32_t)((uint32_t)ttq_hsum256(c1[j]) - corr + (uint32_t)ttq_i8_dot_scalar(a1, b[j], K32, K));
            }
        }
        for (; n < N; n++) {
            const int8_t* b0 = B + (int64_t)n * ldb;
            C[(int64_t)m * ldc + n] = ttq_i8_dot_scalar(a0, b0, 0, K);
            C[(int64_t)(m + 1) * ldc + n] = ttq_i8_dot_scalar(a1, b0, 0, K);
        }
    }
    if (m < m1) {
        ttq_i8gemm_scalar(N, K, A, lda, B, ldb, C, ldc, m, m1);
    }
}

__attribute__((target("avx512f,avx512bw")))
static inline int32_t ttq_hsum512(__m512i v) {
    int32_t lanes[16];
    _mm512_storeu_si512((void*)lanes, v);
    uint32_t s = 0;
    for (int i = 0; i < 16; i++) {
        s += (uint32_t)lanes[i];
    }
    return (int32_t)s;
}

// AVX-512 VNNI: 4 x 4 blocks, 64 k per step.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void ttq_i8gemm_avx512vnni(int N, int K, const int8_t* A, int lda, const int8_t* B, int ldb,
                                  int32_t* C, int ldc, int m0, int m1, const int32_t* bsum) {
    const int K64 = K & ~63;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    int m = m0;
    for (; m + 4 <= m1; m += 4) {
        const int8_t* a[4] = {A + (int64_t)m * lda, A + (int64_t)(m + 1) * lda, A + (int64_t)(m + 2) * lda, A + (int64_t)(m + 3) * lda};
        int n = 0;
        for (; n + 4 <= N; n += 4) {
            const int8_t* b[4] = {B + (int64_t)n * ldb, B + (int64_t)(n + 1) * ldb, B + (int64_t)(n + 2) * ldb, B + (int64_t)(n + 3) * ldb};
            __m512i c[4][4];
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    c[i][j] = _mm512_setzero_si512();
                }
            }
            for (int k = 0; k < K64; k += 64) {
                __m512i vb[4];
                for (int j = 0; j < 4; j++) {
                    vb[j] = _mm512_loadu_si512((const void*)(b[j] + k));
                }
                for (int i = 0; i < 4; i++) {
                    __m512i va = _mm512_xor_si512(_mm512_loadu_si512((const void*)(a[i] + k)), flip);
                    for (int j = 0; j < 4; j++) {
                        c[i][j] = _mm512_dpbusd_epi32(c[i][j], va, vb[j]);
                    }
                }
            }
            for (int j = 0; j < 4; j++) {
                uint32_t tailB = 0;
                for (int k = K64; k < K; k++) {
                    tailB += (uint32_t)(int32_t)b[j][k];
                }
                uint32_t corr = 128u * ((uint32_t)bsum[n + j] - tailB);
                for (int i = 0; i < 4; i++) {
                    C[(int64_t)(m + i) * ldc + n + j] = (int32_t)((uint32_t)ttq_hsum512(c[i][j]) - corr
                            + (uint32_t)ttq_i8_dot_scalar(a[i], b[j], K64, K));
                }
            }
        }
        for (; n < N; n++) {
            for (int i = 0; i < 4; i++) {
                C[(int64_t)(m + i) * ldc + n] = ttq_i8_dot_scalar(a[i], B + (int64_t)n * ldb, 0, K);
            }
        }
    }
    if (m < m1) {
        ttq_i8gemm_scalar(N, K, A, lda, B, ldb, C, ldc, m, m1);
    }
}

// Entry point: rows [m0, m1) of C = A B^T on the given path; bsum (row sums of B) is needed by the
// VNNI paths and ignored by the others. Offsets let the caller address sub-arrays of pinned Java arrays.
static void ttq_i8gemm(int path, int N, int K, const int8_t* A, int64_t offA, int lda, const int8_t* B, int64_t offB, int ldb,
                       int32_t* C, int64_t offC, int ldc, int m0, int m1, const int32_t* bsum) {
    A += offA;
    B += offB;
    C += offC;
    switch (path) {
        case TTQ_I8_AVX512VNNI: ttq_i8gemm_avx512vnni(N, K, A, lda, B, ldb, C, ldc, m0, m1, bsum); break;
        case TTQ_I8_AVXVNNI: ttq_i8gemm_avxvnni(N, K, A, lda, B, ldb, C, ldc, m0, m1, bsum); break;
        case TTQ_I8_AVX2: ttq_i8gemm_avx2(N, K, A, lda, B, ldb, C, ldc, m0, m1); break;
        default: ttq_i8gemm_scalar(N, K, A, lda, B, ldb, C, ldc, m0, m1); break;
    }
}
