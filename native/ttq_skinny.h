// Skinny FP32 products: one dimension of the product is small (a TT / low-rank bond, r <= 16 or
// so). OpenBLAS spends much of its time packing and syncing threads on these shapes; the loops
// below keep the small operand in registers/L1 and stream the big one once. Row-major
// throughout; each call covers a caller-chosen slice (the Java side splits work over threads).
// isa: 0 = portable C, 1 = AVX2 + FMA, 2 = AVX-512F (the caller checks the CPU before passing 1 or 2).
#pragma once
#include <stdint.h>
#include <immintrin.h>

// ---- smallk: C[m, n] = A[m, k] B[k, n] for small k (output wide) ----

static void ttq_smallk_c(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc) {
    for (int i = 0; i < m; i++) {
        float* ci = c + (int64_t) i * ldc;
        for (int j = 0; j < n; j++) {
            ci[j] = 0.f;
        }
        for (int p = 0; p < k; p++) {
            float av = a[(int64_t) i * lda + p];
            const float* bp = b + (int64_t) p * ldb;
            for (int j = 0; j < n; j++) {
                ci[j] += av * bp[j];
            }
        }
    }
}

// 4 rows x 16 columns of C, k terms each.
__attribute__((target("avx2,fma")))
static inline void ttq_smallk_4x16_avx2(int k, const float* a0, int lda, const float* b, int ldb, float* ci, int ldc) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    for (int p = 0; p < k; p++) {
        const float* bp = b + (int64_t) p * ldb;
        __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
        __m256 x = _mm256_broadcast_ss(a0 + p);
        c00 = _mm256_fmadd_ps(x, b0, c00);
        c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a0 + lda + p);
        c10 = _mm256_fmadd_ps(x, b0, c10);
        c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a0 + 2 * (int64_t) lda + p);
        c20 = _mm256_fmadd_ps(x, b0, c20);
        c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a0 + 3 * (int64_t) lda + p);
        c30 = _mm256_fmadd_ps(x, b0, c30);
        c31 = _mm256_fmadd_ps(x, b1, c31);
    }
    _mm256_storeu_ps(ci, c00);
    _mm256_storeu_ps(ci + 8, c01);
    _mm256_storeu_ps(ci + ldc, c10);
    _mm256_storeu_ps(ci + ldc + 8, c11);
    _mm256_storeu_ps(ci + 2 * (int64_t) ldc, c20);
    _mm256_storeu_ps(ci + 2 * (int64_t) ldc + 8, c21);
    _mm256_storeu_ps(ci + 3 * (int64_t) ldc, c30);
    _mm256_storeu_ps(ci + 3 * (int64_t) ldc + 8, c31);
}

// Row blocks outer, column strips inner: C is written row by row (contiguous, page by page) while
// the k x n operand B streams from L1/L2.
__attribute__((target("avx2,fma")))
static void ttq_smallk_avx2(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc) {
    int n16 = n / 16 * 16;
    int i = 0;
    for (; i + 4 <= m; i += 4) {
        for (int j = 0; j < n16; j += 16) {
            ttq_smallk_4x16_avx2(k, a + (int64_t) i * lda, lda, b + j, ldb, c + (int64_t) i * ldc + j, ldc);
        }
    }
    for (; i < m; i++) {
        for (int j = 0; j < n16; j += 16) {
            __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps();
            for (int p = 0; p < k; p++) {
                const float* bp = b + (int64_t) p * ldb + j;
                __m256 x = _mm256_broadcast_ss(a + (int64_t) i * lda + p);
                c0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bp), c0);
                c1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bp + 8), c1);
            }
            _mm256_storeu_ps(c + (int64_t) i * ldc + j, c0);
            _mm256_storeu_ps(c + (int64_t) i * ldc + j + 8, c1);
        }
    }
    if (n16 < n) {
        // the last columns (fewer than 16) in plain C
        for (int r = 0; r < m; r++) {
            float* cr = c + (int64_t) r * ldc;
            for (int jj = n16; jj < n; jj++) {
                float s = 0.f;
                for (int p = 0; p < k; p++) {
                    s += a[(int64_t) r * lda + p] * b[(int64_t) p * ldb + jj];
                }
                cr[jj] = s;
            }
        }
    }
}

// ---- smalln: C[m, n] = A[m, k] Bt[n, k]^T for small n (output skinny, long dot products) ----

static void ttq_smalln_c(int m, int n, int k, const float* a, int lda, const float* bt, int ldbt, float* c, int ldc) {
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            float s = 0.f;
            for (int p = 0; p < k; p++) {
                s += a[(int64_t) i * lda + p] * bt[(int64_t) j * ldbt + p];
            }
            c[(int64_t) i * ldc + j] = s;
        }
    }
}

__attribute__((target("avx2,fma")))
static inline float ttq_hsum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// R rows (1 or 2) x G columns (1..6) of dot products of length k.
template <int R, int G>
__attribute__((target("avx2,fma")))
static inline void ttq_smalln_block_avx2(int k, const float* a, int lda, const float* bt, int ldbt, float* c, int ldc) {
    __m256 acc[R][G];
    #pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
        #pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            acc[r][g] = _mm256_setzero_ps();
        }
    }
    int p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 x[R];
        #pragma GCC unroll 16
        for (int r = 0; r < R; r++) {
            x[r] = _mm256_loadu_ps(a + (int64_t) r * lda + p);
        }
        #pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            __m256 w = _mm256_loadu_ps(bt + (int64_t) g * ldbt + p);
            #pragma GCC unroll 16
            for (int r = 0; r < R; r++) {
                acc[r][g] = _mm256_fmadd_ps(x[r], w, acc[r][g]);
            }
        }
    }
    #pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
        #pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            float s = ttq_hsum_avx2(acc[r][g]);
            for (int q = p; q < k; q++) {
                s += a[(int64_t) r * lda + q] * bt[(int64_t) g * ldbt + q];
            }
            c[(int64_t) r * ldc + g] = s;
        }
    }
}

template <int R>
__attribute__((target("avx2,fma")))
static inline void ttq_smalln_group_avx2(int g, int k, const float* a, int lda, const float* bt, int ldbt, float* c, int ldc) {
    switch (g) {
        case 1: ttq_smalln_block_avx2<R, 1>(k, a, lda, bt, ldbt, c, ldc); break;
        case 2: ttq_smalln_block_avx2<R, 2>(k, a, lda, bt, ldbt, c, ldc); break;
        case 3: ttq_smalln_block_avx2<R, 3>(k, a, lda, bt, ldbt, c, ldc); break;
        case 4: ttq_smalln_block_avx2<R, 4>(k, a, lda, bt, ldbt, c, ldc); break;
        case 5: ttq_smalln_block_avx2<R, 5>(k, a, lda, bt, ldbt, c, ldc); break;
        default: ttq_smalln_block_avx2<R, 6>(k, a, lda, bt, ldbt, c, ldc); break;
    }
}

__attribute__((target("avx2,fma")))
static void ttq_smalln_avx2(int m, int n, int k, const float* a, int lda, const float* bt, int ldbt, float* c, int ldc) {
    int groups = (n + 5) / 6;
    for (int i = 0; i < m; i += 2) {
        int rows = m - i >= 2 ? 2 : 1;
        for (int gi = 0, j = 0; gi < groups; gi++) {
            // balanced groups: 10 columns -> 5 + 5, 11 -> 6 + 5
            int g = (n - j + (groups - gi) - 1) / (groups - gi);
            const float* ai = a + (int64_t) i * lda;
            const float* bj = bt + (int64_t) j * ldbt;
            float* cij = c + (int64_t) i * ldc + j;
            if (rows == 2) {
                ttq_smalln_group_avx2<2>(g, k, ai, lda, bj, ldbt, cij, ldc);
            } else {
                ttq_smalln_group_avx2<1>(g, k, ai, lda, bj, ldbt, cij, ldc);
            }
            j += g;
        }
    }
}

// ---- tn: C[s, n] = A[kb, s]^T X[kb, n] for small s (weight gradients: a sum over the batch) ----

static void ttq_tn_c(int s, int n, int kb, const float* a, int lda, const float* x, int ldx, float* c, int ldc,
                     bool accumulate = false) {
    for (int j = 0; j < s && !accumulate; j++) {
        for (int q = 0; q < n; q++) {
            c[(int64_t) j * ldc + q] = 0.f;
        }
    }
    for (int b = 0; b < kb; b++) {
        const float* xb = x + (int64_t) b * ldx;
        for (int j = 0; j < s; j++) {
            float av = a[(int64_t) b * lda + j];
            float* cj = c + (int64_t) j * ldc;
            for (int q = 0; q < n; q++) {
                cj[q] += av * xb[q];
            }
        }
    }
}

// G rows of C (G <= 6) x 16 columns, summed over kb batch rows (added to C when accumulating).
template <int G>
__attribute__((target("avx2,fma")))
static inline void ttq_tn_block_avx2(int kb, const float* a, int lda, const float* x, int ldx, float* c, int ldc,
                                     bool accumulate) {
    __m256 acc0[G], acc1[G];
    #pragma GCC unroll 16
    for (int g = 0; g < G; g++) {
        acc0[g] = accumulate ? _mm256_loadu_ps(c + (int64_t) g * ldc) : _mm256_setzero_ps();
        acc1[g] = accumulate ? _mm256_loadu_ps(c + (int64_t) g * ldc + 8) : _mm256_setzero_ps();
    }
    for (int b = 0; b < kb; b++) {
        __m256 x0 = _mm256_loadu_ps(x + (int64_t) b * ldx), x1 = _mm256_loadu_ps(x + (int64_t) b * ldx + 8);
        const float* ab = a + (int64_t) b * lda;
        #pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            __m256 w = _mm256_broadcast_ss(ab + g);
            acc0[g] = _mm256_fmadd_ps(w, x0, acc0[g]);
            acc1[g] = _mm256_fmadd_ps(w, x1, acc1[g]);
        }
    }
    #pragma GCC unroll 16
    for (int g = 0; g < G; g++) {
        _mm256_storeu_ps(c + (int64_t) g * ldc, acc0[g]);
        _mm256_storeu_ps(c + (int64_t) g * ldc + 8, acc1[g]);
    }
}

__attribute__((target("avx2,fma")))
static void ttq_tn_avx2(int s, int n, int kb, const float* a, int lda, const float* x, int ldx, float* c, int ldc,
                        bool accumulate = false) {
    int groups = (s + 5) / 6;
    int q = 0;
    for (; q + 16 <= n; q += 16) {
        for (int gi = 0, j = 0; gi < groups; gi++) {
            int g = (s - j + (groups - gi) - 1) / (groups - gi);
            const float* aj = a + j;
            float* cj = c + (int64_t) j * ldc + q;
            switch (g) {
                case 1: ttq_tn_block_avx2<1>(kb, aj, lda, x + q, ldx, cj, ldc, accumulate); break;
                case 2: ttq_tn_block_avx2<2>(kb, aj, lda, x + q, ldx, cj, ldc, accumulate); break;
                case 3: ttq_tn_block_avx2<3>(kb, aj, lda, x + q, ldx, cj, ldc, accumulate); break;
                case 4: ttq_tn_block_avx2<4>(kb, aj, lda, x + q, ldx, cj, ldc, accumulate); break;
                case 5: ttq_tn_block_avx2<5>(kb, aj, lda, x + q, ldx, cj, ldc, accumulate); break;
                default: ttq_tn_block_avx2<6>(kb, aj, lda, x + q, ldx, cj, ldc, accumulate); break;
            }
            j += g;
        }
    }
    if (q < n) {
        for (int j = 0; j < s; j++) {
            for (int qq = q; qq < n; qq++) {
                float sum = accumulate ? c[(int64_t) j * ldc + qq] : 0.f;
                for (int b = 0; b < kb; b++) {
                    sum += a[(int64_t) b * lda + j] * x[(int64_t) b * ldx + qq];
                }
                c[(int64_t) j * ldc + qq] = sum;
            }
        }
    }
}

// ---- AVX-512F versions (isa 2): 16 lanes and 32 registers. On the 2-core AMD EPYC these were
// written on (full-width AVX-512 FMA units), they ran the TT layer's skinny products 2-2.6x faster
// than the AVX2 loops, which top out at half the FMA width. Column and k tails use masked loads. ----

__attribute__((target("avx512f")))
static inline __mmask16 ttq_tail_mask(int n) {
    return n >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << n) - 1u);
}

// R rows x (V vectors of 16 columns, the last one masked by `last` when MASKED) of C = A B, k terms.
// Masked loads and stores only where a tail needs them: with masks on every access (and shapes
// known only at run time) these loops ran 1.7x slower.
template <int R, int V, bool MASKED>
__attribute__((target("avx512f")))
static inline void ttq_smallk_block_avx512(int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc,
                                           __mmask16 last) {
    __m512 acc[R][V];
    #pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
        for (int v = 0; v < V; v++) {
            acc[r][v] = _mm512_setzero_ps();
        }
    }
    for (int p = 0; p < k; p++) {
        const float* bp = b + (int64_t) p * ldb;
        __m512 bv[V];
        for (int v = 0; v < V; v++) {
            bv[v] = MASKED && v == V - 1 ? _mm512_maskz_loadu_ps(last, bp + 16 * v) : _mm512_loadu_ps(bp + 16 * v);
        }
        #pragma GCC unroll 16
        for (int r = 0; r < R; r++) {
            __m512 x = _mm512_set1_ps(a[(int64_t) r * lda + p]);
            for (int v = 0; v < V; v++) {
                acc[r][v] = _mm512_fmadd_ps(x, bv[v], acc[r][v]);
            }
        }
    }
    #pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
        float* cr = c + (int64_t) r * ldc;
        for (int v = 0; v < V; v++) {
            if (MASKED && v == V - 1) {
                _mm512_mask_storeu_ps(cr + 16 * v, last, acc[r][v]);
            } else {
                _mm512_storeu_ps(cr + 16 * v, acc[r][v]);
            }
        }
    }
}

template <int R>
__attribute__((target("avx512f")))
static inline void ttq_smallk_rows_avx512(int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc) {
    int j = 0;
    for (; j + 32 <= n; j += 32) {
        ttq_smallk_block_avx512<R, 2, false>(k, a, lda, b + j, ldb, c + j, ldc, (__mmask16) 0xFFFF);
    }
    for (; j + 16 <= n; j += 16) {
        ttq_smallk_block_avx512<R, 1, false>(k, a, lda, b + j, ldb, c + j, ldc, (__mmask16) 0xFFFF);
    }
    if (j < n) {
        ttq_smallk_block_avx512<R, 1, true>(k, a, lda, b + j, ldb, c + j, ldc, ttq_tail_mask(n - j));
    }
}

__attribute__((target("avx512f")))
static void ttq_smallk_avx512(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc) {
    int i = 0;
    for (; i + 6 <= m; i += 6) {
        ttq_smallk_rows_avx512<6>(n, k, a + (int64_t) i * lda, lda, b, ldb, c + (int64_t) i * ldc, ldc);
    }
    for (; i < m; i++) {
        ttq_smallk_rows_avx512<1>(n, k, a + (int64_t) i * lda, lda, b, ldb, c + (int64_t) i * ldc, ldc);
    }
}

// R rows x G columns of dot products of length k (the k tail masked).
template <int R, int G>
__attribute__((target("avx512f")))
static inline void ttq_smalln_block_avx512(int k, const float* a, int lda, const float* bt, int ldbt, float* c, int ldc) {
    __m512 acc[R][G];
    #pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
        #pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            acc[r][g] = _mm512_setzero_ps();
        }
    }
    int p = 0;
    for (; p + 16 <= k; p += 16) {
        __m512 x[R];
        #pragma GCC unroll 16
        for (int r = 0; r < R; r++) {
            x[r] = _mm512_loadu_ps(a + (int64_t) r * lda + p);
        }
        #pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            __m512 w = _mm512_loadu_ps(bt + (int64_t) g * ldbt + p);
            #pragma GCC unroll 16
            for (int r = 0; r < R; r++) {
                acc[r][g] = _mm512_fmadd_ps(x[r], w, acc[r][g]);
            }
        }
    }
    if (p < k) {
        __mmask16 mk = ttq_tail_mask(k - p);
        __m512 x[R];
        #pragma GCC unroll 16
        for (int r = 0; r < R; r++) {
            x[r] = _mm512_maskz_loadu_ps(mk, a + (int64_t) r * lda + p);
        }
        #pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            __m512 w = _mm512_maskz_loadu_ps(mk, bt + (int64_t) g * ldbt + p);
            #pragma GCC unroll 16
            for (int r = 0; r < R; r++) {
                acc[r][g] = _mm512_fmadd_ps(x[r], w, acc[r][g]);
            }
        }
    }
    #pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
        #pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            c[(int64_t) r * ldc + g] = _mm512_reduce_add_ps(acc[r][g]);
        }
    }
}

template <int R>
__attribute__((target("avx512f")))
static inline void ttq_smalln_group_avx512(int g, int k, const float* a, int lda, const float* bt, int ldbt, float* c, int ldc) {
    switch (g) {
        case 1: ttq_smalln_block_avx512<R, 1>(k, a, lda, bt, ldbt, c, ldc); break;
        case 2: ttq_smalln_block_avx512<R, 2>(k, a, lda, bt, ldbt, c, ldc); break;
        case 3: ttq_smalln_block_avx512<R, 3>(k, a, lda, bt, ldbt, c, ldc); break;
        case 4: ttq_smalln_block_avx512<R, 4>(k, a, lda, bt, ldbt, c, ldc); break;
        case 5: ttq_smalln_block_avx512<R, 5>(k, a, lda, bt, ldbt, c, ldc); break;
        default: ttq_smalln_block_avx512<R, 6>(k, a, lda, bt, ldbt, c, ldc); break;
    }
}

// 4 rows x up to 6 columns per block: 24 accumulators + 4 row vectors + 1 weight vector in 32 registers.
__attribute__((target("avx512f")))
static void ttq_smalln_avx512(int m, int n, int k, const float* a, int lda, const float* bt, int ldbt, float* c, int ldc) {
    int groups = (n + 5) / 6;
    for (int i = 0; i < m; i += 4) {
        int rows = m - i >= 4 ? 4 : m - i;
        for (int gi = 0, j = 0; gi < groups; gi++) {
            int g = (n - j + (groups - gi) - 1) / (groups - gi);
            const float* ai = a + (int64_t) i * lda;
            const float* bj = bt + (int64_t) j * ldbt;
            float* cij = c + (int64_t) i * ldc + j;
            switch (rows) {
                case 4: ttq_smalln_group_avx512<4>(g, k, ai, lda, bj, ldbt, cij, ldc); break;
                case 3: ttq_smalln_group_avx512<3>(g, k, ai, lda, bj, ldbt, cij, ldc); break;
                case 2: ttq_smalln_group_avx512<2>(g, k, ai, lda, bj, ldbt, cij, ldc); break;
                default: ttq_smalln_group_avx512<1>(g, k, ai, lda, bj, ldbt, cij, ldc); break;
            }
            j += g;
        }
    }
}

// G rows of C (G <= 12) x V vectors of 16 columns (the last masked when MASKED), summed over kb batch rows.
template <int G, int V, bool MASKED>
__attribute__((target("avx512f")))
static inline void ttq_tn_block_avx512(int kb, const float* a, int lda, const float* x, int ldx, float* c, int ldc,
                                       bool accumulate, __mmask16 last) {
    __m512 acc[G][V];
    #pragma GCC unroll 16
    for (int g = 0; g < G; g++) {
        for (int v = 0; v < V; v++) {
            const float* cv = c + (int64_t) g * ldc + 16 * v;
            acc[g][v] = !accumulate ? _mm512_setzero_ps()
                        : MASKED && v == V - 1 ? _mm512_maskz_loadu_ps(last, cv) : _mm512_loadu_ps(cv);
        }
    }
    for (int b = 0; b < kb; b++) {
        __m512 xv[V];
        for (int v = 0; v < V; v++) {
            xv[v] = MASKED && v == V - 1 ? _mm512_maskz_loadu_ps(last, x + (int64_t) b * ldx + 16 * v)
                                         : _mm512_loadu_ps(x + (int64_t) b * ldx + 16 * v);
        }
        const float* ab = a + (int64_t) b * lda;
        #pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            __m512 w = _mm512_set1_ps(ab[g]);
            for (int v = 0; v < V; v++) {
                acc[g][v] = _mm512_fmadd_ps(w, xv[v], acc[g][v]);
            }
        }
    }
    #pragma GCC unroll 16
    for (int g = 0; g < G; g++) {
        for (int v = 0; v < V; v++) {
            if (MASKED && v == V - 1) {
                _mm512_mask_storeu_ps(c + (int64_t) g * ldc + 16 * v, last, acc[g][v]);
            } else {
                _mm512_storeu_ps(c + (int64_t) g * ldc + 16 * v, acc[g][v]);
            }
        }
    }
}

template <int V, bool MASKED>
__attribute__((target("avx512f")))
static inline void ttq_tn_group_avx512(int g, int kb, const float* a, int lda, const float* x, int ldx, float* c, int ldc,
                                       bool accumulate, __mmask16 last) {
    switch (g) {
        case 1: ttq_tn_block_avx512<1, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
        case 2: ttq_tn_block_avx512<2, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
        case 3: ttq_tn_block_avx512<3, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
        case 4: ttq_tn_block_avx512<4, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
        case 5: ttq_tn_block_avx512<5, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
        case 6: ttq_tn_block_avx512<6, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
        case 7: ttq_tn_block_avx512<7, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
        case 8: ttq_tn_block_avx512<8, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
        case 9: ttq_tn_block_avx512<9, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
        case 10: ttq_tn_block_avx512<10, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
        case 11: ttq_tn_block_avx512<11, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
        default: ttq_tn_block_avx512<12, V, MASKED>(kb, a, lda, x, ldx, c, ldc, accumulate, last); break;
    }
}

// Up to 12 rows of C at a time (a rank-10 bond plus its bias row in one group, so each strip of x
// is read once) x 32 columns: 24 accumulators + 2 row vectors + 1 broadcast in 32 registers.
__attribute__((target("avx512f")))
static void ttq_tn_avx512(int s, int n, int kb, const float* a, int lda, const float* x, int ldx, float* c, int ldc,
                          bool accumulate = false) {
    int groups = (s + 11) / 12;
    for (int q = 0; q < n;) {
        int width = n - q >= 32 ? 32 : n - q;
        for (int gi = 0, j = 0; gi < groups; gi++) {
            int g = (s - j + (groups - gi) - 1) / (groups - gi);
            const float* aj = a + j;
            float* cj = c + (int64_t) j * ldc + q;
            if (width == 32) {
                ttq_tn_group_avx512<2, false>(g, kb, aj, lda, x + q, ldx, cj, ldc, accumulate, (__mmask16) 0xFFFF);
            } else if (width > 16) {
                ttq_tn_group_avx512<2, true>(g, kb, aj, lda, x + q, ldx, cj, ldc, accumulate, ttq_tail_mask(width - 16));
            } else if (width == 16) {
                ttq_tn_group_avx512<1, false>(g, kb, aj, lda, x + q, ldx, cj, ldc, accumulate, (__mmask16) 0xFFFF);
            } else {
                ttq_tn_group_avx512<1, true>(g, kb, aj, lda, x + q, ldx, cj, ldc, accumulate, ttq_tail_mask(width));
            }
            j += g;
        }
        q += width;
    }
}

// ---- entry points (offsets in elements, as the Java arrays are passed whole) ----

static void ttq_skinny_smallk(int isa, int m, int n, int k, const float* a, int64_t offA, int lda,
                              const float* b, int64_t offB, int ldb, float* c, int64_t offC, int ldc) {
    if (isa == 2) {
        ttq_smallk_avx512(m, n, k, a + offA, lda, b + offB, ldb, c + offC, ldc);
    } else if (isa == 1) {
        ttq_smallk_avx2(m, n, k, a + offA, lda, b + offB, ldb, c + offC, ldc);
    } else {
        ttq_smallk_c(m, n, k, a + offA, lda, b + offB, ldb, c + offC, ldc);
    }
}

static void ttq_skinny_smalln(int isa, int m, int n, int k, const float* a, int64_t offA, int lda,
                              const float* bt, int64_t offB, int ldbt, float* c, int64_t offC, int ldc) {
    if (isa == 2) {
        ttq_smalln_avx512(m, n, k, a + offA, lda, bt + offB, ldbt, c + offC, ldc);
    } else if (isa == 1) {
        ttq_smalln_avx2(m, n, k, a + offA, lda, bt + offB, ldbt, c + offC, ldc);
    } else {
        ttq_smalln_c(m, n, k, a + offA, lda, bt + offB, ldbt, c + offC, ldc);
    }
}

static void ttq_skinny_tn(int isa, int s, int n, int kb, const float* a, int64_t offA, int lda,
                          const float* x, int64_t offX, int ldx, float* c, int64_t offC, int ldc, bool accumulate = false) {
    if (isa == 2) {
        ttq_tn_avx512(s, n, kb, a + offA, lda, x + offX, ldx, c + offC, ldc, accumulate);
    } else if (isa == 1) {
        ttq_tn_avx2(s, n, kb, a + offA, lda, x + offX, ldx, c + offC, ldc, accumulate);
    } else {
        ttq_tn_c(s, n, kb, a + offA, lda, x + offX, ldx, c + offC, ldc, accumulate);
    }
}
