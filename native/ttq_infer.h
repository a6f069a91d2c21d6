// Kernels of the forward-only inference runtime (ttq.model.infer): self-attention of one utterance
// over all heads (INT8 codes or FP32) and the residual add + layer norm of token rows. Each call
// works on the calling thread; the runtime splits a batch by utterances itself. The Java side
// (ttq.kernels.InferenceKernels) checks every extent before the call. AVX2 + FMA bodies and
// portable ones with the same formulas, picked from CPUID (ttq_has_avx2_fma) as in ttq_elementwise.h.
#pragma once
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ttq_elementwise.h"
#include "ttq_int8_packed.h"

// Softmax of s[0, n) in place (max subtracted, exp by ttq_exp_neg: relative error <= 4.7e-7).
__attribute__((target("avx2,fma")))
static void ttq_softmax_row_avx2(float* s, int n) {
    int j = 0;
    __m256 vmax = _mm256_set1_ps(-INFINITY);
    for (; j + 8 <= n; j += 8) {
        vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(s + j));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, vmax);
    float mx = lanes[0];
    for (int l = 1; l < 8; l++) {
        mx = lanes[l] > mx ? lanes[l] : mx;
    }
    for (; j < n; j++) {
        mx = s[j] > mx ? s[j] : mx;
    }
    __m256 vmx = _mm256_set1_ps(mx), vsum = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n; j += 8) {
        __m256 e = ttq_exp_neg8(_mm256_sub_ps(_mm256_loadu_ps(s + j), vmx));
        _mm256_storeu_ps(s + j, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    _mm256_storeu_ps(lanes, vsum);
    double sum = ((double) lanes[0] + lanes[1]) + ((double) lanes[2] + lanes[3]) + ((double) lanes[4] + lanes[5])
                 + ((double) lanes[6] + lanes[7]);
    for (; j < n; j++) {
        s[j] = ttq_exp_neg(s[j] - mx);
        sum += s[j];
    }
    float inv = (float) (1.0 / sum);
    __m256 vinv = _mm256_set1_ps(inv);
    for (j = 0; j + 8 <= n; j += 8) {
        _mm256_storeu_ps(s + j, _mm256_mul_ps(_mm256_loadu_ps(s + j), vinv));
    }
    for (; j < n; j++) {
        s[j] *= inv;
    }
}

static void ttq_softmax_row_c(float* s, int n) {
    float mx = s[0];
    for (int j = 1; j < n; j++) {
        mx = s[j] > mx ? s[j] : mx;
    }
    double sum = 0;
    for (int j = 0; j < n; j++) {
        s[j] = ttq_exp_neg(s[j] - mx);
        sum += s[j];
    }
    float inv = (float) (1.0 / sum);
    for (int j = 0; j < n; j++) {
        s[j] *= inv;
    }
}

static inline void ttq_softmax_row(float* s, int n) {
    if (ttq_has_avx2_fma()) {
        ttq_softmax_row_avx2(s, n);
    } else {
        ttq_softmax_row_c(s, n);
    }
}

// One query's attention row from its int32 scores s[0, n): sc = softmax(sScore * s), then the
// probability codes rint(clamp(sc / sP, -128, 127)) into codes (float scratch sc of n). Shared by
// both integer attention paths so they agree bit for bit.
__attribute__((target("avx2,fma")))
static void ttq_attn_row_codes_avx2(const int32_t* s, int n, float sScore, float sP, float* sc, int8_t* codes) {
    int j = 0;
    __m256 vs = _mm256_set1_ps(sScore);
    for (; j + 8 <= n; j += 8) {
        _mm256_storeu_ps(sc + j, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i*) (s + j))), vs));
    }
    for (; j < n; j++) {
        sc[j] = (float) s[j] * sScore;
    }
    ttq_softmax_row_avx2(sc, n);
    const __m256 vp = _mm256_set1_ps(sP), lo = _mm256_set1_ps(-128.0f), hi = _mm256_set1_ps(127.0f);
    for (j = 0; j + 8 <= n; j += 8) {
        __m256 u = _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_div_ps(_mm256_loadu_ps(sc + j), vp)));
        __m256i c = _mm256_cvtps_epi32(_mm256_round_ps(u, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m128i c16 = _mm_packs_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
        _mm_storel_epi64((__m128i*) (codes + j), _mm_packs_epi16(c16, c16));
    }
    for (; j < n; j++) {
        float u = sc[j] / sP;
        codes[j] = (int8_t) nearbyintf(u > 127.0f ? 127.0f : (u < -128.0f ? -128.0f : u));
    }
}

static void ttq_attn_row_codes_c(const int32_t* s, int n, float sScore, float sP, float* sc, int8_t* codes) {
    for (int j = 0; j < n; j++) {
        sc[j] = (float) s[j] * sScore;
    }
    ttq_softmax_row_c(sc, n);
    for (int j = 0; j < n; j++) {
        float u = sc[j] / sP;
        codes[j] = (int8_t) nearbyintf(u > 127.0f ? 127.0f : (u < -128.0f ? -128.0f : u));
    }
}

static inline void ttq_attn_row_codes(const int32_t* s, int n, float sScore, float sP, float* sc, int8_t* codes) {
    if (ttq_has_avx2_fma()) {
        ttq_attn_row_codes_avx2(s, n, sScore, sP, sc, codes);
    } else {
        ttq_attn_row_codes_c(s, n, sScore, sP, sc, codes);
    }
}

// Dot product of two int8 vectors of length n (int32, exact).
__attribute__((target("avx2")))
static inline int32_t ttq_dot_i8_avx2(const int8_t* a, const int8_t* b, int n) {
    __m256i acc = _mm256_setzero_si256();
    int c = 0;
    for (; c + 16 <= n; c += 16) {
        __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*) (a + c)));
        __m256i y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*) (b + c)));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, y));
    }
    int32_t lanes[8];
    _mm256_storeu_si256((__m256i*) lanes, acc);
    int32_t s = lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
    for (; c < n; c++) {
        s += (int32_t) a[c] * b[c];
    }
    return s;
}

static inline int32_t ttq_dot_i8_c(const int8_t* a, const int8_t* b, int n) {
    int32_t s = 0;
    for (int c = 0; c < n; c++) {
        s += (int32_t) a[c] * b[c];
    }
    return s;
}

// acc[0, n) += code * v[0, n) in int32.
__attribute__((target("avx2")))
static inline void ttq_axpy_i8_avx2(int32_t* acc, int32_t code, const int8_t* v, int n) {
    __m256i vc = _mm256_set1_epi32(code);
    int c = 0;
    for (; c + 8 <= n; c += 8) {
        __m256i x = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*) (v + c)));
        _mm256_storeu_si256((__m256i*) (acc + c), _mm256_add_epi32(_mm256_loadu_si256((const __m256i*) (acc + c)),
                                                                   _mm256_mullo_epi32(x, vc)));
    }
    for (; c < n; c++) {
        acc[c] += code * v[c];
    }
}

static inline void ttq_axpy_i8_c(int32_t* acc, int32_t code, const int8_t* v, int n) {
    for (int c = 0; c < n; c++) {
        acc[c] += code * v[c];
    }
}

// Integer self-attention of one utterance of n tokens, every head: q, k, v are INT8 codes, token t of
// head h at [t * ld + h * dh, + dh). For each query i of head h: score_j = sScore * (q_i . k_j) in
// int32 then float, softmax over the n keys, each probability to its code rint(clamp(p / sP, -128,
// 127)) (p >= 0, so 0..127), out[i * ldo + h * dh + c] = sOut * sum_j code_j v[j, h * dh + c]
// (int32 sums). scratch: n floats + dh int32. Returns 0, or 1 if scratch could not be allocated.
static int ttq_attention_i8(int n, int heads, int dh, const int8_t* q, int64_t offQ, const int8_t* k, int64_t offK,
                            const int8_t* v, int64_t offV, int ld, float sScore, float sP, float sOut,
                            float* out, int64_t offO, int ldo) {
    q += offQ;
    k += offK;
    v += offV;
    out += offO;
    float* sc = (float*) malloc(sizeof(float) * (size_t) n + sizeof(int32_t) * (size_t) (n + dh) + (size_t) n);
    if (sc == NULL) {
        return 1;
    }
    int32_t* si = (int32_t*) (sc + n);
    int32_t* acc = si + n;
    int8_t* codes = (int8_t*) (acc + dh);
    const bool avx2 = ttq_has_avx2_fma();
    for (int h = 0; h < heads; h++) {
        const int64_t col = (int64_t) h * dh;
        for (int i = 0; i < n; i++) {
            const int8_t* qi = q + (int64_t) i * ld + col;
            for (int j = 0; j < n; j++) {
                const int8_t* kj = k + (int64_t) j * ld + col;
                si[j] = avx2 ? ttq_dot_i8_avx2(qi, kj, dh) : ttq_dot_i8_c(qi, kj, dh);
            }
            ttq_attn_row_codes(si, n, sScore, sP, sc, codes);
            memset(acc, 0, sizeof(int32_t) * (size_t) dh);
            for (int j = 0; j < n; j++) {
                if (codes[j] != 0) {
                    const int8_t* vj = v + (int64_t) j * ld + col;
                    if (avx2) {
                        ttq_axpy_i8_avx2(acc, codes[j], vj, dh);
                    } else {
                        ttq_axpy_i8_c(acc, codes[j], vj, dh);
                    }
                }
            }
            float* o = out + (int64_t) i * ldo + col;
            for (int c = 0; c < dh; c++) {
                o[c] = (float) acc[c] * sOut;
            }
        }
    }
    free(sc);
    return 0;
}

// B (N x K) of one attention product packed as ttq_i8_pack_b packs it, from a strided source:
// element (row, depth) is src[row * rowStride + depth * depthStride]. Zero padding written once by
// memset; each element placed by index arithmetic instead of ttq_i8_pack_b's per-byte bounds tests,
// which cost more than the product itself at these sizes (24 x 64).
static void ttq_attn_pack(int path, int N, int K, const int8_t* src, int64_t rowStride, int64_t depthStride, int8_t* bp,
                          int32_t* colsum) {
    int nr = ttq_i8_nr(path), kg = ttq_i8_kg(path);
    int kp = (K + kg - 1) / kg * kg, groups = kp / kg;
    memset(bp, 0, (size_t) ttq_i8_packed_b_size(path, N, K));
    for (int n = 0; n < N; n++) {
        int p = n / nr, jj = n % nr;
        const int8_t* row = src + (int64_t) n * rowStride;
        int32_t sum = 0;
        if (depthStride == 1 && path != 1) { // K_h rows: whole groups of 4 bytes at once
            for (int k = 0; k < K; k++) {
                sum += row[k];
            }
            int full = K / 4;
            for (int g = 0; g < full; g++) {
                int32_t word;
                memcpy(&word, row + g * 4, 4);
                memcpy(bp + ((int64_t) (p * groups + g) * nr + jj) * 4, &word, 4);
            }
            for (int k = full * 4; k < K; k++) {
                bp[((int64_t) (p * groups + full) * nr + jj) * 4 + (k - full * 4)] = row[k];
            }
            colsum[n] = sum;
            continue;
        }
        for (int g = 0; g < groups; g++) {
            int64_t base = ((int64_t) (p * groups + g) * nr + jj) * kg;
            for (int t = 0; t < kg; t++) {
                int k = g * kg + t;
                if (k >= K) {
                    break;
                }
                int8_t b = row[(int64_t) k * depthStride];
                sum += b;
                if (path == 1) {
                    ((int16_t*) bp)[base + t] = b;
                } else {
                    bp[base + t] = b;
                }
            }
        }
        colsum[n] = sum;
    }
}

// B = V_h^T (row c of dh, depth j of n tokens) packed for a VNNI path (nr 16 or 32 columns, groups of 4
// tokens): the 16 columns x 4 tokens of one group and column block are a 4 x 16 byte transpose, done
// with SSE2 unpacks (baseline x86-64) instead of byte scatters. Column sums as ttq_i8_pack_b.
static void ttq_attn_pack_vt_vnni(int path, int dh, int n, const int8_t* v, int64_t ld, int8_t* bp, int32_t* colsum) {
    int nr = ttq_i8_nr(path);
    int groups = (n + 3) / 4;
    memset(bp, 0, (size_t) ttq_i8_packed_b_size(path, dh, n));
    for (int c = 0; c < dh; c++) {
        colsum[c] = 0;
    }
    for (int g = 0; g < groups; g++) {
        const int8_t* rows[4];
        int8_t zero[16] = {0};
        for (int t = 0; t < 4; t++) {
            rows[t] = 4 * g + t < n ? v + (int64_t) (4 * g + t) * ld : NULL;
        }
        for (int c0 = 0; c0 < dh; c0 += 16) {
            int width = dh - c0 < 16 ? dh - c0 : 16;
            __m128i r[4];
            for (int t = 0; t < 4; t++) {
                int8_t tmp[16] = {0};
                const int8_t* src = rows[t] != NULL ? rows[t] + c0 : zero;
                if (width == 16) {
                    r[t] = _mm_loadu_si128((const __m128i*) src);
                } else {
                    memcpy(tmp, src, (size_t) width);
                    r[t] = _mm_loadu_si128((const __m128i*) tmp);
                }
            }
            // column sums: the 16 bytes of each row sign-extended to int32 (SSE2 unpack + arithmetic shift)
            for (int t = 0; t < 4; t++) {
                __m128i lo16 = _mm_srai_epi16(_mm_unpacklo_epi8(r[t], r[t]), 8), hi16 = _mm_srai_epi16(_mm_unpackhi_epi8(r[t], r[t]), 8);
                __m128i w[4] = {_mm_srai_epi32(_mm_unpacklo_epi16(lo16, lo16), 16), _mm_srai_epi32(_mm_unpackhi_epi16(lo16, lo16), 16),
                                _mm_srai_epi32(_mm_unpacklo_epi16(hi16, hi16), 16), _mm_srai_epi32(_mm_unpackhi_epi16(hi16, hi16), 16)};
                for (int k = 0; k < 4; k++) {
                    if (4 * k < width) {
                        int32_t lanes[4];
                        _mm_storeu_si128((__m128i*) lanes, w[k]);
                        for (int l = 0; l < 4 && 4 * k + l < width; l++) {
                            colsum[c0 + 4 * k + l] += lanes[l];
                        }
                    }
                }
            }
            __m128i a = _mm_unpacklo_epi8(r[0], r[1]), b = _mm_unpackhi_epi8(r[0], r[1]);
            __m128i e = _mm_unpacklo_epi8(r[2], r[3]), f = _mm_unpackhi_epi8(r[2], r[3]);
            __m128i q[4] = {_mm_unpacklo_epi16(a, e), _mm_unpackhi_epi16(a, e), _mm_unpacklo_epi16(b, f), _mm_unpackhi_epi16(b, f)};
            // columns c0 .. c0 + 15 lie in one panel (nr is 16 or 32, c0 a multiple of 16)
            int p = c0 / nr, cc0 = c0 % nr;
            int8_t* dst = bp + ((int64_t) (p * groups + g) * nr + cc0) * 4;
            int quads = (width + 3) / 4;
            for (int k = 0; k < quads; k++) {
                _mm_storeu_si128((__m128i*) (dst + 16 * k), q[k]);
            }
        }
    }
}

// The two attention operands packed for the AVX2 kernel (path 1: panels of 16 columns, int16 pairs of
// depth, no column sums): K_h (row = key, depth = head column) and V_h^T (row = head column, depth =
// key), widened to int16 sixteen values at a time.
__attribute__((target("avx2")))
static void ttq_attn_pack_k_avx2(int n, int dh, const int8_t* k, int64_t ld, int8_t* bp) {
    const int nr = 16, groups = (dh + 1) / 2;
    int16_t* out = (int16_t*) bp;
    memset(bp, 0, (size_t) ttq_i8_packed_b_size(1, n, dh));
    for (int j = 0; j < n; j++) {
        const int8_t* row = k + (int64_t) j * ld;
        int p = j / nr, jj = j % nr, c = 0;
        for (; c + 16 <= dh; c += 16) {
            int32_t words[8];
            _mm256_storeu_si256((__m256i*) words, _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*) (row + c))));
            for (int w = 0; w < 8; w++) {
                memcpy(out + ((int64_t) (p * groups + c / 2 + w) * nr + jj) * 2, &words[w], 4);
            }
        }
        for (; c < dh; c++) {
            out[((int64_t) (p * groups + c / 2) * nr + jj) * 2 + (c % 2)] = row[c];
        }
    }
}

__attribute__((target("avx2")))
static void ttq_attn_pack_vt_avx2(int dh, int n, const int8_t* v, int64_t ld, int8_t* bp) {
    const int nr = 16, groups = (n + 1) / 2;
    int16_t* out = (int16_t*) bp;
    memset(bp, 0, (size_t) ttq_i8_packed_b_size(1, dh, n));
    int8_t zero[16] = {0};
    for (int g = 0; g < groups; g++) {
        const int8_t* r0 = v + (int64_t) (2 * g) * ld;
        const int8_t* r1 = 2 * g + 1 < n ? v + (int64_t) (2 * g + 1) * ld : NULL;
        int c = 0;
        for (; c + 16 <= dh; c += 16) {
            __m256i a = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*) (r0 + c)));
            __m256i b = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*) (r1 != NULL ? r1 + c : zero)));
            __m256i lo = _mm256_unpacklo_epi16(a, b), hi = _mm256_unpackhi_epi16(a, b);
            int16_t* dst = out + (int64_t) ((c / nr) * groups + g) * nr * 2;
            _mm256_storeu_si256((__m256i*) dst, _mm256_permute2x128_si256(lo, hi, 0x20));
            _mm256_storeu_si256((__m256i*) (dst + 16), _mm256_permute2x128_si256(lo, hi, 0x31));
        }
        for (; c < dh; c++) {
            int16_t* dst = out + ((int64_t) ((c / nr) * groups + g) * nr + c % nr) * 2;
            dst[0] = r0[c];
            dst[1] = r1 != NULL ? r1[c] : 0;
        }
    }
}

// Integer self-attention as ttq_attention_i8, with both products on the packed INT8 GEMM kernels of
// ttq_int8_packed.h (path 1 AVX2, 2 AVX-VNNI, 3 AVX-512 VNNI): per head, K_h packed as B gives
// S = Q_h K_h^T in int32; softmax and the probability codes per row; V_h^T packed as B gives
// out_h = sOut * (P V_h) stored as floats. Exact integer sums as ttq_attention_i8 (the same results
// bit for bit), several times faster from about 8 tokens up. Returns 0, or 1 without scratch memory.
static int ttq_attention_i8_gemm(int path, int n, int heads, int dh, const int8_t* q, int64_t offQ, const int8_t* k, int64_t offK,
                                 const int8_t* v, int64_t offV, int ld, float sScore, float sP, float sOut,
                                 float* out, int64_t offO, int ldo) {
    q += offQ;
    k += offK;
    v += offV;
    out += offO;
    int64_t packBytes = ttq_i8_packed_b_size(path, n, dh), packV = ttq_i8_packed_b_size(path, dh, n);
    packBytes = packBytes > packV ? packBytes : packV;
    size_t colsumN = (size_t) (n > dh ? n : dh);
    size_t bytes = (size_t) packBytes + 64 + sizeof(int32_t) * colsumN + sizeof(int32_t) * (size_t) n * n + (size_t) n * n
                   + sizeof(float) * (size_t) n + 64;
    uint8_t* block = (uint8_t*) aligned_alloc(64, ttq_i8_scratch_size(bytes));
    if (block == NULL) {
        return 1;
    }
    int8_t* bp = (int8_t*) block;
    int32_t* colsum = (int32_t*) (block + (packBytes + 63) / 64 * 64);
    int32_t* scores = colsum + colsumN;
    int8_t* p = (int8_t*) (scores + (size_t) n * n);
    float* sc = (float*) (((uintptr_t) (p + (size_t) n * n) + 3) & ~(uintptr_t) 3);
    int status = 0;
    for (int h = 0; h < heads && status == 0; h++) {
        const int64_t col = (int64_t) h * dh;
        if (path == 1) {
            ttq_attn_pack_k_avx2(n, dh, k + col, ld, bp);
        } else {
            ttq_attn_pack(path, n, dh, k + col, ld, 1, bp, colsum);
        }
        status |= ttq_i8gemm_packed(path, n, dh, q, col, ld, bp, colsum, scores, 0, n, 0, n, 0);
        for (int i = 0; i < n; i++) {
            ttq_attn_row_codes(scores + (int64_t) i * n, n, sScore, sP, sc, p + (int64_t) i * n);
        }
        if (path == 1) {
            ttq_attn_pack_vt_avx2(dh, n, v + col, ld, bp); // B = V_h^T: row c, depth j
        } else {
            ttq_attn_pack_vt_vnni(path, dh, n, v + col, ld, bp, colsum);
        }
        status |= ttq_i8gemm_packed_f32s(path, dh, n, p, 0, n, bp, colsum, out, col, ldo, 0, n, sOut, NULL, 0, NULL, NULL, 0);
    }
    free(block);
    return status;
}

// FP32 dot product (8 partial sums, then a fixed-order total).
__attribute__((target("avx2,fma")))
static inline float ttq_dot_f32_avx2(const float* a, const float* b, int n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int c = 0;
    for (; c + 16 <= n; c += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + c + 8), _mm256_loadu_ps(b + c + 8), s1);
    }
    for (; c + 8 <= n; c += 8) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c), s0);
    }
    float s = ttq_hsum_avx2(_mm256_add_ps(s0, s1));
    for (; c < n; c++) {
        s += a[c] * b[c];
    }
    return s;
}

static inline float ttq_dot_f32_c(const float* a, const float* b, int n) {
    float s = 0.f;
    for (int c = 0; c < n; c++) {
        s += a[c] * b[c];
    }
    return s;
}

__attribute__((target("avx2,fma")))
static inline void ttq_axpy_f32_avx2(float* acc, float p, const float* v, int n) {
    __m256 vp = _mm256_set1_ps(p);
    int c = 0;
    for (; c + 8 <= n; c += 8) {
        _mm256_storeu_ps(acc + c, _mm256_fmadd_ps(vp, _mm256_loadu_ps(v + c), _mm256_loadu_ps(acc + c)));
    }
    for (; c < n; c++) {
        acc[c] += p * v[c];
    }
}

static inline void ttq_axpy_f32_c(float* acc, float p, const float* v, int n) {
    for (int c = 0; c < n; c++) {
        acc[c] += p * v[c];
    }
}

// FP32 self-attention of one utterance of n tokens, every head: score_j = scale * (q_i . k_j),
// softmax over the n keys, out[i, head] = sum_j p_j v_j. Layout as ttq_attention_i8. Returns 0, or 1
// if scratch could not be allocated.
static int ttq_attention_f32(int n, int heads, int dh, const float* q, int64_t offQ, const float* k, int64_t offK,
                             const float* v, int64_t offV, int ld, float scale, float* out, int64_t offO, int ldo) {
    q += offQ;
    k += offK;
    v += offV;
    out += offO;
    float* sc = (float*) malloc(sizeof(float) * (size_t) n);
    if (sc == NULL) {
        return 1;
    }
    const bool avx2 = ttq_has_avx2_fma();
    for (int h = 0; h < heads; h++) {
        const int64_t col = (int64_t) h * dh;
        for (int i = 0; i < n; i++) {
            const float* qi = q + (int64_t) i * ld + col;
            for (int j = 0; j < n; j++) {
                const float* kj = k + (int64_t) j * ld + col;
                sc[j] = (avx2 ? ttq_dot_f32_avx2(qi, kj, dh) : ttq_dot_f32_c(qi, kj, dh)) * scale;
            }
            ttq_softmax_row(sc, n);
            float* o = out + (int64_t) i * ldo + col;
            memset(o, 0, sizeof(float) * (size_t) dh);
            for (int j = 0; j < n; j++) {
                const float* vj = v + (int64_t) j * ld + col;
                if (avx2) {
                    ttq_axpy_f32_avx2(o, sc[j], vj, dh);
                } else {
                    ttq_axpy_f32_c(o, sc[j], vj, dh);
                }
            }
        }
    }
    free(sc);
    return 0;
}

// Mean and variance of one row in double (four running sums each, as the engine's layer norm).
static inline void ttq_row_moments_c(const float* xr, int d, double* mean, double* var) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int j = 0;
    for (; j + 4 <= d; j += 4) {
        s0 += xr[j];
        s1 += xr[j + 1];
        s2 += xr[j + 2];
        s3 += xr[j + 3];
    }
    for (; j < d; j++) {
        s0 += xr[j];
    }
    double m = ((s0 + s1) + (s2 + s3)) / d;
    double v0 = 0, v1 = 0, v2 = 0, v3 = 0;
    for (j = 0; j + 4 <= d; j += 4) {
        double d0 = xr[j] - m, d1 = xr[j + 1] - m, d2 = xr[j + 2] - m, d3 = xr[j + 3] - m;
        v0 += d0 * d0;
        v1 += d1 * d1;
        v2 += d2 * d2;
        v3 += d3 * d3;
    }
    for (; j < d; j++) {
        double dd = xr[j] - m;
        v0 += dd * dd;
    }
    *mean = m;
    *var = ((v0 + v1) + (v2 + v3)) / d;
}

// The same moments with AVX2 in float, the row first formed as x + a (a may be NULL) and stored to
// y: four running sums per pass (two passes, so no cancellation from E[x^2] - mean^2), the lanes then
// added in double. Differs from the double sums by about 1e-7.
__attribute__((target("avx2,fma")))
static inline void ttq_row_moments_avx2(const float* x, const float* a, float* y, int d, double* mean, double* var) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int j = 0;
    if (a != NULL) {
        for (; j + 32 <= d; j += 32) {
            __m256 t0 = _mm256_add_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(a + j));
            __m256 t1 = _mm256_add_ps(_mm256_loadu_ps(x + j + 8), _mm256_loadu_ps(a + j + 8));
            __m256 t2 = _mm256_add_ps(_mm256_loadu_ps(x + j + 16), _mm256_loadu_ps(a + j + 16));
            __m256 t3 = _mm256_add_ps(_mm256_loadu_ps(x + j + 24), _mm256_loadu_ps(a + j + 24));
            _mm256_storeu_ps(y + j, t0);
            _mm256_storeu_ps(y + j + 8, t1);
            _mm256_storeu_ps(y + j + 16, t2);
            _mm256_storeu_ps(y + j + 24, t3);
            s0 = _mm256_add_ps(s0, t0);
            s1 = _mm256_add_ps(s1, t1);
            s2 = _mm256_add_ps(s2, t2);
            s3 = _mm256_add_ps(s3, t3);
        }
        for (int k = j; k < d; k++) {
            y[k] = x[k] + a[k];
        }
        x = y;
    } else {
        for (; j + 32 <= d; j += 32) {
            s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + j));
            s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + j + 8));
            s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + j + 16));
            s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + j + 24));
        }
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    double sum = 0;
    for (int l = 0; l < 8; l++) {
        sum += lanes[l];
    }
    for (; j < d; j++) {
        sum += x[j];
    }
    double m = sum / d;
    __m256 vm = _mm256_set1_ps((float) m);
    s0 = s1 = s2 = s3 = _mm256_setzero_ps();
    for (j = 0; j + 32 <= d; j += 32) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + j), vm), d1 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 8), vm);
        __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 16), vm), d3 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 24), vm);
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
        s2 = _mm256_fmadd_ps(d2, d2, s2);
        s3 = _mm256_fmadd_ps(d3, d3, s3);
    }
    _mm256_storeu_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    double sq = 0;
    for (int l = 0; l < 8; l++) {
        sq += lanes[l];
    }
    for (; j < d; j++) {
        double dd = x[j] - (float) m;
        sq += dd * dd;
    }
    *mean = m;
    *var = sq / d;
}

__attribute__((target("avx2,fma")))
static inline void ttq_row_normalize_avx2(const float* xr, int d, float m, float rs, const float* gamma, const float* beta, float* yr) {
    __m256 vm = _mm256_set1_ps(m), vr = _mm256_set1_ps(rs);
    int j = 0;
    for (; j + 8 <= d; j += 8) {
        __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + j), vm), vr);
        _mm256_storeu_ps(yr + j, _mm256_fmadd_ps(t, _mm256_loadu_ps(gamma + j), _mm256_loadu_ps(beta + j)));
    }
    for (; j < d; j++) {
        yr[j] = (xr[j] - m) * rs * gamma[j] + beta[j];
    }
}

// Rows [0, rows) of y = gamma * norm(x + a) + beta over the last axis of width d (a may be NULL; y may
// be x). Mean and variance in double, as the engine's layer norm.
static void ttq_add_layernorm(int rows, int d, const float* x, int64_t offX, const float* a, int64_t offA,
                              const float* gamma, const float* beta, float eps, float* y, int64_t offY) {
    x += offX;
    y += offY;
    if (a != NULL) {
        a += offA;
    }
    const bool avx2 = ttq_has_avx2_fma();
    for (int r = 0; r < rows; r++) {
        const float* xr = x + (int64_t) r * d;
        float* yr = y + (int64_t) r * d;
        double mean, var;
        if (avx2) {
            ttq_row_moments_avx2(xr, a != NULL ? a + (int64_t) r * d : NULL, yr, d, &mean, &var);
            if (a != NULL) {
                xr = yr;
            }
        } else {
            if (a != NULL) {
                const float* ar = a + (int64_t) r * d;
                for (int j = 0; j < d; j++) {
                    yr[j] = xr[j] + ar[j];
                }
                xr = yr;
            }
            ttq_row_moments_c(xr, d, &mean, &var);
        }
        float rs = (float) (1.0 / sqrt(var + eps));
        float m = (float) mean;
        if (avx2) {
            ttq_row_normalize_avx2(xr, d, m, rs, gamma, beta, yr);
        } else {
            for (int j = 0; j < d; j++) {
                yr[j] = (xr[j] - m) * rs * gamma[j] + beta[j];
            }
        }
    }
}

// out[offOut + i] = rint(clamp(x[offX + i] / d, -128, 127)) for i in [0, n): INT8 codes of activations
// written at an offset of their own (ttq_quantize_to_int8 uses one index for both arrays).
static void ttq_quantize_codes(const float* x, int64_t offX, int8_t* out, int64_t offOut, int64_t n, float d) {
    ttq_quantize_to_int8(x + offX, out + offOut, 0, n, d, -128.0f, 127.0f);
}

// AVX-512F GELU, the formulas of ttq_gelu_forward_avx2 on 16 lanes (the runtime's GELU over FFN rows).
__attribute__((target("avx512f")))
static inline __m512 ttq_exp_neg16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    __m512 fi = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fmadd_ps(fi, _mm512_set1_ps(2.12194440e-4f), _mm512_fnmadd_ps(fi, _mm512_set1_ps(0.693359375f), x));
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(fi), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(y, _mm512_castsi512_ps(bits));
}

__attribute__((target("avx512f")))
static inline __m512 ttq_phi16(__m512 v, __m512 e) {
    const __m512i sign = _mm512_set1_epi32((int) 0x80000000);
    __m512i vi = _mm512_castps_si512(v);
    __m512 z = _mm512_mul_ps(_mm512_castsi512_ps(_mm512_andnot_si512(sign, vi)), _mm512_set1_ps(0.70710678118654752f));
    // 1 / (1 + p z) by rcp14 and one Newton step (relative error ~1e-8, below the erf formula's own 1.5e-7): the
    // division was a third of the time
    __m512 den = _mm512_fmadd_ps(z, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.0f));
    __m512 t = _mm512_rcp14_ps(den);
    t = _mm512_mul_ps(t, _mm512_fnmadd_ps(den, t, _mm512_set1_ps(2.0f)));
    __m512 q = _mm512_fmadd_ps(t, _mm512_set1_ps(1.061405429f), _mm512_set1_ps(-1.453152027f));
    q = _mm512_fmadd_ps(t, q, _mm512_set1_ps(1.421413741f));
    q = _mm512_fmadd_ps(t, q, _mm512_set1_ps(-0.284496736f));
    q = _mm512_fmadd_ps(t, q, _mm512_set1_ps(0.254829592f));
    __m512 erfAbs = _mm512_fnmadd_ps(_mm512_mul_ps(t, q), e, _mm512_set1_ps(1.0f));
    __m512 half = _mm512_castsi512_ps(_mm512_or_si512(_mm512_and_si512(sign, vi), _mm512_castps_si512(_mm512_set1_ps(0.5f))));
    return _mm512_fmadd_ps(half, erfAbs, _mm512_set1_ps(0.5f));
}

__attribute__((target("avx512f")))
static void ttq_gelu_forward_avx512(const float* x, float* y, int64_t off, int64_t n) {
    int64_t i = off, end = off + n;
    for (; i + 16 <= end; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 e = ttq_exp_neg16(_mm512_mul_ps(_mm512_mul_ps(v, v), _mm512_set1_ps(-0.5f)));
        _mm512_storeu_ps(y + i, _mm512_mul_ps(v, ttq_phi16(v, e)));
    }
    if (i < end) { // the tail on the same 16-lane formulas (masked), so an element's value never depends on its position
        __mmask16 mask = (__mmask16) ((1u << (end - i)) - 1u);
        __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
        __m512 e = ttq_exp_neg16(_mm512_mul_ps(_mm512_mul_ps(v, v), _mm512_set1_ps(-0.5f)));
        _mm512_mask_storeu_ps(y + i, mask, _mm512_mul_ps(v, ttq_phi16(v, e)));
    }
}

// AVX2 GELU whose tail runs the same 8-lane formulas under a mask (ttq_gelu_forward_avx2, which training
// uses, finishes in scalar code): every element's value is independent of where it lies in the array.
__attribute__((target("avx2,fma")))
static void ttq_gelu_forward_avx2_masked(const float* x, float* y, int64_t off, int64_t n) {
    int64_t i = off, end = off + n;
    for (; i + 8 <= end; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = ttq_exp_neg8(_mm256_mul_ps(_mm256_mul_ps(v, v), _mm256_set1_ps(-0.5f)));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(v, ttq_phi8(v, e)));
    }
    if (i < end) {
        int left = (int) (end - i);
        __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(left), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 v = _mm256_maskload_ps(x + i, mask);
        __m256 e = ttq_exp_neg8(_mm256_mul_ps(_mm256_mul_ps(v, v), _mm256_set1_ps(-0.5f)));
        _mm256_maskstore_ps(y + i, mask, _mm256_mul_ps(v, ttq_phi8(v, e)));
    }
}

// GELU on the widest path the caller allows: isa 2 = AVX-512F (the caller checked the CPU and OS), 1 AVX2,
// else portable; on each path an element's value does not depend on its position.
static void ttq_gelu_forward_isa(int isa, const float* x, float* y, int64_t off, int64_t n) {
    if (isa == 2) {
        ttq_gelu_forward_avx512(x, y, off, n);
    } else if (isa == 1) {
        ttq_gelu_forward_avx2_masked(x, y, off, n);
    } else {
        ttq_gelu_forward_c(x, y, off, n);
    }
}

// The integer TT layer's middle step (pair order; r <= 256): h = x V^T arrives as int32 sums acc [rows, w]
// (w = r, or 2r when V carries a second INT8 digit in rows r..2r-1, worth 1/127 of the first);
// h[i, j] = xs_i vScale_j (acc[i, j] + acc[i, r + j] / 127), then each row requantized to INT8 at
// its own scale max|h_i| / 127 (1 for a zero row), rounding half to even: codes into hc [rows, r],
// scales into hs [rows]. xs: one input scale per row (xsScalar used when xs is NULL).
static void ttq_requantize_h(int rows, int r, int w, const int32_t* acc, const float* vScale, const float* xs, float xsScalar,
                             int8_t* hc, float* hs) {
    float h[256];
    for (int i = 0; i < rows; i++) {
        float sx = xs != NULL ? xs[i] : xsScalar;
        const int32_t* a = acc + (int64_t) i * w;
        float mx = 0.0f;
        for (int j = 0; j < r; j++) {
            float hi = (float) a[j];
            h[j] = (w > r ? hi + (float) a[r + j] * (1.0f / 127.0f) : hi) * vScale[j] * sx;
            float ab = fabsf(h[j]);
            mx = ab > mx ? ab : mx;
        }
        float step = mx > 0.0f ? mx / 127.0f : 1.0f;
        hs[i] = step;
        for (int j = 0; j < r; j++) {
            float u = h[j] / step;
            hc[(int64_t) i * r + j] = (int8_t) nearbyintf(u > 127.0f ? 127.0f : (u < -127.0f ? -127.0f : u));
        }
    }
}
