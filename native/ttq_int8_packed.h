// Packed INT8 GEMM micro-kernels (C = A B^T, A: M x K, B: N x K), the fast path of ttq_int8.h.
// B is packed once into column panels whose k-groups interleave the panel's columns, so one
// vector load feeds NR outputs and each A value is a broadcast: no horizontal sums. Register
// blocks: 6 rows x 32 columns (AVX-512 VNNI), 6 x 16 (AVX-VNNI, AVX2). VNNI paths feed a + 128 as
// unsigned bytes to vpdpbusd and subtract 128 * column sums of B; AVX2 multiplies int16 pairs
// with vpmaddwd. All sums wrap modulo 2^32, so results equal the portable path bit for bit.
#pragma once
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TTQ_MR 6

// Panel width (columns) and k-group (k values per 32-bit lane) of each packed kernel: 1 AVX2
// (int16 pairs), 2 AVX-VNNI, 3 AVX-512 VNNI, 4 AVX2 for narrow B (bytes, the AVX-VNNI layout).
static inline int ttq_i8_nr(int path) { return path == 3 ? 32 : 16; }
static inline int ttq_i8_kg(int path) { return path == 1 ? 2 : 4; }

// Bytes of a scratch block: aligned_alloc wants a multiple of the alignment.
static inline size_t ttq_i8_scratch_size(size_t bytes) { return (bytes + 64 + 63) / 64 * 64; }

// Bytes of packed B: panels of NR columns (zero padded), k padded to the k-group, int16 for AVX2.
static int64_t ttq_i8_packed_b_size(int path, int N, int K) {
    int nr = ttq_i8_nr(path), kg = ttq_i8_kg(path);
    int64_t panels = (N + nr - 1) / nr;
    int64_t kp = (K + kg - 1) / kg * kg;
    return panels * nr * kp * (path == 1 ? 2 : 1);
}

// Packs B (N x K, row n at B + offB + n * ldb) and its row sums (VNNI correction).
static void ttq_i8_pack_b(int path, int N, int K, const int8_t* B, int64_t offB, int ldb, int8_t* bp, int32_t* colsum) {
    B += offB;
    int nr = ttq_i8_nr(path), kg = ttq_i8_kg(path);
    int kp = (K + kg - 1) / kg * kg;
    int panels = (N + nr - 1) / nr;
    if (path == 1) {
        int16_t* out = (int16_t*)bp;
        for (int p = 0; p < panels; p++) {
            for (int g = 0; g < kp / 2; g++) {
                for (int j = 0; j < nr; j++) {
                    int n = p * nr + j;
                    for (int t = 0; t < 2; t++) {
                        int k = g * 2 + t;
                        *out++ = (n < N && k < K) ? (int16_t)B[(int64_t)n * ldb + k] : 0;
                    }
                }
            }
        }
    } else {
        int8_t* out = bp;
        for (int p = 0; p < panels; p++) {
            for (int g = 0; g < kp / 4; g++) {
                for (int j = 0; j < nr; j++) {
                    int n = p * nr + j;
                    for (int t = 0; t < 4; t++) {
                        int k = g * 4 + t;
                        *out++ = (n < N && k < K) ? B[(int64_t)n * ldb + k] : 0;
                    }
                }
            }
        }
    }
    for (int n = 0; n < N; n++) {
        uint32_t s = 0;
        for (int k = 0; k < K; k++) {
            s += (uint32_t)(int32_t)B[(int64_t)n * ldb + k];
        }
        colsum[n] = (int32_t)s;
    }
}

// A block of TTQ_MR rows as a + 128 (unsigned bytes) for the vpdpbusd / vpmaddubsw kernels; rows
// past the end and k padding are 0x80 (a = 0), multiplied by B's zero padding anyway.
static inline void ttq_i8_pack_a_shifted(const int8_t* A, int lda, int m, int rows, int K, int kp, uint8_t* ap) {
    // no bounds test per byte: the rows' bytes flipped in one vectorizable loop, the padding set in bulk
    for (int i = 0; i < rows; i++) {
        const int8_t* src = A + (int64_t)(m + i) * lda;
        uint8_t* dst = ap + i * kp;
        for (int k = 0; k < K; k++) {
            dst[k] = (uint8_t)src[k] ^ 0x80;
        }
        memset(dst + K, 0x80, (size_t)(kp - K));
    }
    if (rows < TTQ_MR) {
        memset(ap + rows * kp, 0x80, (size_t)((TTQ_MR - rows) * kp));
    }
}

// Stores a rows x 16 tile of 256-bit sums (c[2 i + h] holds columns n0 + 8 h ..) as int32 into C
// or as scale * v + bias into F. With colsum, the sums are of (a + 128) b and lose 128 * column
// sum of B; without (the exact AVX2 int16 kernel), they are stored as they are.
__attribute__((target("avx2")))
static void ttq_i8_store_tile(const __m256i* c, int rows, int N, int n0, const int32_t* colsum, int32_t* C, int ldc,
                              int m, float* F, float fscale, const float* fbias, const float* rs, const float* cs) {
    // eight columns at a time in vector registers (masked loads and stores for a short last group):
    // the same operations in the same order as a scalar loop, (float) v * s + b with s = fscale * rs * cs
    for (int h = 0; h < 2; h++) {
        int base = n0 + h * 8;
        if (base >= N) {
            break;
        }
        int valid = N - base < 8 ? N - base : 8;
        __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256i corr = colsum != NULL ? _mm256_slli_epi32(_mm256_maskload_epi32(colsum + base, mask), 7) : _mm256_setzero_si256();
        __m256 vb = fbias != NULL ? _mm256_maskload_ps(fbias + base, mask) : _mm256_setzero_ps();
        __m256 vc = cs != NULL ? _mm256_maskload_ps(cs + base, mask) : _mm256_set1_ps(1.0f);
        for (int i = 0; i < rows; i++) {
            __m256i v = _mm256_sub_epi32(c[i * 2 + h], corr);
            if (F != NULL) {
                __m256 sc = rs != NULL || cs != NULL ? _mm256_mul_ps(_mm256_set1_ps(fscale * (rs != NULL ? rs[m + i] : 1.0f)), vc)
                                                     : _mm256_set1_ps(fscale);
                __m256 f = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(v), sc), vb);
                float* dst = F + (int64_t)(m + i) * ldc + base;
                if (valid == 8) {
                    _mm256_storeu_ps(dst, f);
                } else {
                    _mm256_maskstore_ps(dst, mask, f);
                }
            } else {
                int32_t* dst = C + (int64_t)(m + i) * ldc + base;
                if (valid == 8) {
                    _mm256_storeu_si256((__m256i*)dst, v);
                } else {
                    _mm256_maskstore_epi32(dst, mask, v);
                }
            }
        }
    }
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static int ttq_i8_kernel_avx512vnni(int N, int K, const int8_t* A, int lda, const int8_t* bp, const int32_t* colsum,
                                      int32_t* C, int ldc, int m0, int m1, float* F, float fscale, const float* fbias,
                                      const float* rs, const float* cs) {
    const int nr = 32, kp = (K + 3) / 4 * 4, groups = kp / 4, panels = (N + nr - 1) / nr;
    uint8_t* ap = (uint8_t*)aligned_alloc(64, ttq_i8_scratch_size((size_t)TTQ_MR * kp));
    if (ap == NULL) {
        return 1;
    }
    for (int m = m0; m < m1; m += TTQ_MR) {
        int rows = m1 - m < TTQ_MR ? m1 - m : TTQ_MR;
        ttq_i8_pack_a_shifted(A, lda, m, rows, K, kp, ap);
        for (int p = 0; p < panels; p++) {
            const int8_t* b = bp + (int64_t)p * nr * kp;
            // named accumulators (arrays made GCC copy registers around and spill b1 every iteration)
            __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
            __m512i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
            const uint8_t* a0 = ap;
            for (int g = 0; g < groups; g++, a0 += 4) {
                __m512i b0 = _mm512_loadu_si512((const void*)(b + (int64_t)g * 128));
                __m512i b1 = _mm512_loadu_si512((const void*)(b + (int64_t)g * 128 + 64));
#define TTQ_I8_512_ROW(i, lo, hi)                      \
                {                                      \
                    int32_t a4;                        \
                    memcpy(&a4, a0 + (i) * kp, 4);     \
                    __m512i va = _mm512_set1_epi32(a4); \
                    lo = _mm512_dpbusd_epi32(lo, va, b0); \
                    hi = _mm512_dpbusd_epi32(hi, va, b1); \
                }
                TTQ_I8_512_ROW(0, c00, c01)
                TTQ_I8_512_ROW(1, c10, c11)
                TTQ_I8_512_ROW(2, c20, c21)
                TTQ_I8_512_ROW(3, c30, c31)
                TTQ_I8_512_ROW(4, c40, c41)
                TTQ_I8_512_ROW(5, c50, c51)
#undef TTQ_I8_512_ROW
            }
            __m512i c[TTQ_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
            int n0 = p * nr;
            for (int h = 0; h < 2; h++) {
                int base = n0 + h * 16;
                if (base >= N) {
                    break;
                }
                int valid = N - base < 16 ? N - base : 16;
                __mmask16 mask = (__mmask16)((1u << valid) - 1u);
                __m512i corr = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(mask, colsum + base), 7);
                if (F != NULL && (rs != NULL || cs != NULL)) {
                    __m512 vb = fbias != NULL ? _mm512_maskz_loadu_ps(mask, fbias + base) : _mm512_setzero_ps();
                    __m512 vc = cs != NULL ? _mm512_maskz_loadu_ps(mask, cs + base) : _mm512_set1_ps(1.0f);
                    for (int i = 0; i < rows; i++) {
                        __m512 vs = _mm512_mul_ps(vc, _mm512_set1_ps(fscale * (rs != NULL ? rs[m + i] : 1.0f)));
                        __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(c[i][h], corr)), vs, vb);
                        _mm512_mask_storeu_ps(F + (int64_t)(m + i) * ldc + base, mask, v);
                    }
                } else if (F != NULL) {
                    __m512 vs = _mm512_set1_ps(fscale);
                    __m512 vb = fbias != NULL ? _mm512_maskz_loadu_ps(mask, fbias + base) : _mm512_setzero_ps();
                    for (int i = 0; i < rows; i++) {
                        __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(c[i][h], corr)), vs, vb);
                        _mm512_mask_storeu_ps(F + (int64_t)(m + i) * ldc + base, mask, v);
                    }
                } else {
                    for (int i = 0; i < rows; i++) {
                        _mm512_mask_storeu_epi32(C + (int64_t)(m + i) * ldc + base, mask, _mm512_sub_epi32(c[i][h], corr));
                    }
                }
            }
        }
    }
    free(ap);
    return 0;
}

__attribute__((target("avx2,avxvnni")))
static int ttq_i8_kernel_avxvnni(int N, int K, const int8_t* A, int lda, const int8_t* bp, const int32_t* colsum,
                                   int32_t* C, int ldc, int m0, int m1, float* F, float fscale, const float* fbias,
                                      const float* rs, const float* cs) {
    const int nr = 16, kp = (K + 3) / 4 * 4, groups = kp / 4, panels = (N + nr - 1) / nr;
    uint8_t* ap = (uint8_t*)aligned_alloc(64, ttq_i8_scratch_size((size_t)TTQ_MR * kp));
    if (ap == NULL) {
        return 1;
    }
    for (int m = m0; m < m1; m += TTQ_MR) {
        int rows = m1 - m < TTQ_MR ? m1 - m : TTQ_MR;
        ttq_i8_pack_a_shifted(A, lda, m, rows, K, kp, ap);
        for (int p = 0; p < panels; p++) {
            const int8_t* b = bp + (int64_t)p * nr * kp;
            // named accumulators, as in the AVX2 kernel: with arrays GCC kept a stack copy of c
            // up to date on every iteration (2026-11-27)
            __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
            __m256i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
            const uint8_t* a0 = ap;
            for (int g = 0; g < groups; g++, a0 += 4) {
                __m256i b0 = _mm256_loadu_si256((const __m256i*)(b + (int64_t)g * 64));
                __m256i b1 = _mm256_loadu_si256((const __m256i*)(b + (int64_t)g * 64 + 32));
#define TTQ_I8_VNNI_ROW(i, lo, hi)                          \
                {                                           \
                    int32_t a4;                             \
                    memcpy(&a4, a0 + (i) * kp, 4);          \
                    __m256i va = _mm256_set1_epi32(a4);     \
                    lo = _mm256_dpbusd_avx_epi32(lo, va, b0); \
                    hi = _mm256_dpbusd_avx_epi32(hi, va, b1); \
                }
                TTQ_I8_VNNI_ROW(0, c00, c01)
                TTQ_I8_VNNI_ROW(1, c10, c11)
                TTQ_I8_VNNI_ROW(2, c20, c21)
                TTQ_I8_VNNI_ROW(3, c30, c31)
                TTQ_I8_VNNI_ROW(4, c40, c41)
                TTQ_I8_VNNI_ROW(5, c50, c51)
#undef TTQ_I8_VNNI_ROW
            }
            __m256i c[TTQ_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
            ttq_i8_store_tile(&c[0][0], rows, N, p * nr, colsum, C, ldc, m, F, fscale, fbias, rs, cs);
        }
    }
    free(ap);
    return 0;
}

__attribute__((target("avx2")))
static int ttq_i8_kernel_avx2(int N, int K, const int8_t* A, int lda, const int8_t* bp, int32_t* C, int ldc, int m0, int m1,
                               float* F, float fscale, const float* fbias, const float* rs, const float* cs) {
    const int nr = 16, kp = (K + 1) / 2 * 2, groups = kp / 2, panels = (N + nr - 1) / nr;
    const int16_t* b16 = (const int16_t*)bp;
    int16_t* ap = (int16_t*)aligned_alloc(64, ttq_i8_scratch_size((size_t)TTQ_MR * kp * 2));
    if (ap == NULL) {
        return 1;
    }
    for (int m = m0; m < m1; m += TTQ_MR) {
        int rows = m1 - m < TTQ_MR ? m1 - m : TTQ_MR;
        // A's rows widened to int16 sixteen at a time (a per-element bounds test here cost more than the
        // products for skinny B, e.g. 13 rows x 768 against 20 columns)
        for (int i = 0; i < rows; i++) {
            const int8_t* src = A + (int64_t)(m + i) * lda;
            int16_t* dst = ap + i * kp;
            int k = 0;
            for (; k + 16 <= K; k += 16) {
                _mm256_storeu_si256((__m256i*)(dst + k), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(src + k))));
            }
            for (; k < K; k++) {
                dst[k] = src[k];
            }
            for (; k < kp; k++) {
                dst[k] = 0;
            }
        }
        if (rows < TTQ_MR) {
            memset(ap + rows * kp, 0, sizeof(int16_t) * (size_t)((TTQ_MR - rows) * kp));
        }
        for (int p = 0; p < panels; p++) {
            const int16_t* b = b16 + (int64_t)p * nr * kp;
            // Twelve named accumulators, one broadcast live at a time: 15 of the 16 ymm registers.
            // Written as arrays c[6][2], GCC hoisted all six broadcasts and spilled eight
            // accumulators to the stack (a load and a store per vpmaddwd; 2026-11-27).
            __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
            __m256i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
            const int16_t* a0 = ap;
            for (int g = 0; g < groups; g++, a0 += 2) {
                __m256i b0 = _mm256_loadu_si256((const __m256i*)(b + (int64_t)g * 32));
                __m256i b1 = _mm256_loadu_si256((const __m256i*)(b + (int64_t)g * 32 + 16));
#define TTQ_I8_AVX2_ROW(i, lo, hi)                                                 \
                {                                                                  \
                    int32_t a2;                                                    \
                    memcpy(&a2, a0 + (i) * kp, 4);                                 \
                    __m256i va = _mm256_set1_epi32(a2);                            \
                    lo = _mm256_add_epi32(lo, _mm256_madd_epi16(va, b0));          \
                    hi = _mm256_add_epi32(hi, _mm256_madd_epi16(va, b1));          \
                }
                TTQ_I8_AVX2_ROW(0, c00, c01)
                TTQ_I8_AVX2_ROW(1, c10, c11)
                TTQ_I8_AVX2_ROW(2, c20, c21)
                TTQ_I8_AVX2_ROW(3, c30, c31)
                TTQ_I8_AVX2_ROW(4, c40, c41)
                TTQ_I8_AVX2_ROW(5, c50, c51)
#undef TTQ_I8_AVX2_ROW
            }
            __m256i c[TTQ_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
            ttq_i8_store_tile(&c[0][0], rows, N, p * nr, NULL, C, ldc, m, F, fscale, fbias, rs, cs);
        }
    }
    free(ap);
    return 0;
}

// AVX2 for a narrow B (every |b| <= W with W <= 16, Int8Gemm.AVX2_NARROW_MAX, checked by the caller
// when packing): vpmaddubsw multiplies 32 byte pairs per instruction. With a + 128 in [0, 255] a
// pair sum is at most 510 W in size (exact up to W = 64), so the instruction never saturates, and
// `depth` = floor(32767 / (510 W))
// results add up exactly in int16 before one vpmaddwd by ones widens them to int32: 1 + 1/depth
// multiplies per 32 products instead of the exact wide path's 2. Bit-exact like every path.
__attribute__((target("avx2")))
static int ttq_i8_kernel_avx2_narrow(int N, int K, const int8_t* A, int lda, const int8_t* bp, const int32_t* colsum,
                                      int32_t* C, int ldc, int m0, int m1, float* F, float fscale, const float* fbias,
                                      int depth, const float* rs, const float* cs) {
    const int nr = 16, kp = (K + 3) / 4 * 4, groups = kp / 4, panels = (N + nr - 1) / nr;
    size_t abytes = ((size_t)TTQ_MR * kp + 63) / 64 * 64;
    uint8_t* ap = (uint8_t*)aligned_alloc(64, ttq_i8_scratch_size(abytes + TTQ_MR * 2 * sizeof(__m256i)));
    if (ap == NULL) {
        return 1;
    }
    // int32 sums in the scratch block, not a local array: GCC kept a local one in registers
    // across the k loop and spilled the int16 accumulators instead (2026-11-27)
    __m256i* c32 = (__m256i*)(ap + abytes);
    const __m256i ones = _mm256_set1_epi16(1);
    for (int m = m0; m < m1; m += TTQ_MR) {
        int rows = m1 - m < TTQ_MR ? m1 - m : TTQ_MR;
        ttq_i8_pack_a_shifted(A, lda, m, rows, K, kp, ap);
        for (int p = 0; p < panels; p++) {
            const int8_t* b = bp + (int64_t)p * nr * kp;
            // int32 sums live in memory (touched once per `depth` groups); the k loop keeps the
            // twelve int16 accumulators, two B vectors, the broadcast and one product in registers
            for (int i = 0; i < TTQ_MR * 2; i++) {
                c32[i] = _mm256_setzero_si256();
            }
            for (int g0 = 0; g0 < groups; g0 += depth) {
                int g1 = g0 + depth < groups ? g0 + depth : groups;
                __m256i s00 = _mm256_setzero_si256(), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00;
                __m256i s30 = s00, s31 = s00, s40 = s00, s41 = s00, s50 = s00, s51 = s00;
                const uint8_t* a0 = ap + (int64_t)g0 * 4;
                for (int g = g0; g < g1; g++, a0 += 4) {
                    __m256i b0 = _mm256_loadu_si256((const __m256i*)(b + (int64_t)g * 64));
                    __m256i b1 = _mm256_loadu_si256((const __m256i*)(b + (int64_t)g * 64 + 32));
// One row in one asm statement, so GCC can neither hoist the six broadcasts nor spill an
// accumulator: 12 accumulators + 2 B vectors + broadcast + product = all 16 ymm registers.
#define TTQ_I8_NARROW_ROW(i, L, H)                                                   \
                    {                                                                  \
                        __m256i va, t;                                                 \
                        __asm__("vpbroadcastd %[a], %[va]\n\t"                         \
                                "vpmaddubsw %[b0], %[va], %[t]\n\t"                    \
                                "vpaddw %[t], %[lo], %[lo]\n\t"                        \
                                "vpmaddubsw %[b1], %[va], %[va]\n\t"                   \
                                "vpaddw %[va], %[hi], %[hi]"                           \
                                : [lo] "+x"(L), [hi] "+x"(H), [va] "=&x"(va), [t] "=&x"(t) \
                                : [a] "m"(*(const int32_t*)(a0 + (i) * kp)), [b0] "x"(b0), [b1] "x"(b1)); \
                    }
                    TTQ_I8_NARROW_ROW(0, s00, s01)
                    TTQ_I8_NARROW_ROW(1, s10, s11)
                    TTQ_I8_NARROW_ROW(2, s20, s21)
                    TTQ_I8_NARROW_ROW(3, s30, s31)
                    TTQ_I8_NARROW_ROW(4, s40, s41)
                    TTQ_I8_NARROW_ROW(5, s50, s51)
#undef TTQ_I8_NARROW_ROW
                }
                __m256i s[TTQ_MR * 2] = {s00, s01, s10, s11, s20, s21, s30, s31, s40, s41, s50, s51};
                for (int i = 0; i < TTQ_MR * 2; i++) {
                    c32[i] = _mm256_add_epi32(c32[i], _mm256_madd_epi16(s[i], ones));
                }
            }
            ttq_i8_store_tile(c32, rows, N, p * nr, colsum, C, ldc, m, F, fscale, fbias, rs, cs);
        }
    }
    free(ap);
    return 0;
}

// Rows [m0, m1) of C = A B^T from packed B (kernel 1 AVX2, 2 AVX-VNNI, 3 AVX-512 VNNI, 4 AVX2 for
// narrow B with int16 sums of `depth` k-groups). Returns 0, or 1 when the scratch block for A could
// not be allocated (the Java side turns that into an exception).
static int ttq_i8gemm_packed(int path, int N, int K, const int8_t* A, int64_t offA, int lda, const int8_t* bp,
                              const int32_t* colsum, int32_t* C, int64_t offC, int ldc, int m0, int m1, int depth) {
    A += offA;
    C += offC;
    if (path == 4) {
        return ttq_i8_kernel_avx2_narrow(N, K, A, lda, bp, colsum, C, ldc, m0, m1, NULL, 0.0f, NULL, depth, NULL, NULL);
    } else if (path == 3) {
        return ttq_i8_kernel_avx512vnni(N, K, A, lda, bp, colsum, C, ldc, m0, m1, NULL, 0.0f, NULL, NULL, NULL);
    } else if (path == 2) {
        return ttq_i8_kernel_avxvnni(N, K, A, lda, bp, colsum, C, ldc, m0, m1, NULL, 0.0f, NULL, NULL, NULL);
    }
    return ttq_i8_kernel_avx2(N, K, A, lda, bp, C, ldc, m0, m1, NULL, 0.0f, NULL, NULL, NULL);
}

// As ttq_i8gemm_packed, but writes F = scale * rs[i] * cs[j] * (A B^T) + bias as floats (rs: one scale
// per row of A, cs one per column, bias: any of them may be null): the dequantizing store of an
// integer layer's last product, with no int32 matrix in between. rs is indexed by the row of A (row 0
// at rs + offRs), like A itself.
static int ttq_i8gemm_packed_f32s(int path, int N, int K, const int8_t* A, int64_t offA, int lda, const int8_t* bp,
                                   const int32_t* colsum, float* F, int64_t offF, int ldf, int m0, int m1,
                                   float scale, const float* rs, int64_t offRs, const float* cs, const float* bias, int depth) {
    A += offA;
    F += offF;
    if (rs != NULL) {
        rs += offRs;
    }
    if (path == 4) {
        return ttq_i8_kernel_avx2_narrow(N, K, A, lda, bp, colsum, NULL, ldf, m0, m1, F, scale, bias, depth, rs, cs);
    } else if (path == 3) {
        return ttq_i8_kernel_avx512vnni(N, K, A, lda, bp, colsum, NULL, ldf, m0, m1, F, scale, bias, rs, cs);
    } else if (path == 2) {
        return ttq_i8_kernel_avxvnni(N, K, A, lda, bp, colsum, NULL, ldf, m0, m1, F, scale, bias, rs, cs);
    }
    return ttq_i8_kernel_avx2(N, K, A, lda, bp, NULL, ldf, m0, m1, F, scale, bias, rs, cs);
}
