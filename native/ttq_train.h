// Kernels of the engine's fused training ops (ttq.engine.ops.AttentionScores, AttentionContext,
// LayerNormAffine), forward and backward. Attention works on (batch, head) pairs [bh0, bh1) of
// q, k, v laid out [B, L, H * dh] (heads side by side in a row, as the projections write them: no
// permute to [B, H, L, dh] and back) and probabilities [B, H, L, L]; layer norm on rows [r0, r1).
// Each call runs on the calling thread; ttq.kernels.TrainingKernels splits the ranges over the
// cores and checks every extent before the call. AVX2 + FMA bodies or portable ones, picked from
// CPUID (ttq_has_avx2_fma) as in ttq_infer.h, whose dot, axpy, softmax and moment helpers these use.
#pragma once
#include "ttq_infer.h"

// The two products every attention kernel is made of, on one (batch, head) pair, with A, W of n rows:
//   ttq_abt: out[i, j] = sum_c a[i, c] bt[c, j] for j < m, bt packed [k][mp] (mp = m rounded up to 8,
//            zero padded): the row of out is held in registers while k broadcasts of a[i, c] stream by;
//   ttq_wb:  out[i, 0..k) = sum_j w[i, j] b[j, 0..k) (b rows ld apart): up to 64 columns of out in
//            registers while the n rows of b stream by.
// Register blocking instead of a dot product per entry: no horizontal sums, each load used once.
static inline int ttq_round8(int n) {
    return (n + 7) & ~7;
}

// bt[c, j] = b[j, c] for j < m, c < k, zero for m <= j < mp (b rows ld apart).
static inline void ttq_pack_t(const float* b, int64_t ld, int m, int k, float* bt) {
    const int mp = ttq_round8(m);
    for (int c = 0; c < k; c++) {
        float* r = bt + (int64_t) c * mp;
        for (int j = 0; j < m; j++) {
            r[j] = b[j * ld + c];
        }
        for (int j = m; j < mp; j++) {
            r[j] = 0.f;
        }
    }
}

__attribute__((target("avx2,fma")))
static void ttq_abt_avx2(int n, int m, int k, const float* a, int64_t lda, const float* bt, float scale, float* out, int64_t ldo, float* row) {
    const int mp = ttq_round8(m);
    const __m256 vs = _mm256_set1_ps(scale);
    for (int i = 0; i < n; i++) {
        const float* ai = a + i * lda;
        for (int j0 = 0; j0 < mp; j0 += 32) {
            const int nv = (mp - j0) / 8 < 4 ? (mp - j0) / 8 : 4;
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
            const float* bc = bt + j0;
            if (nv == 4) {
                for (int c = 0; c < k; c++, bc += mp) {
                    __m256 x = _mm256_set1_ps(ai[c]);
                    acc0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bc), acc0);
                    acc1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bc + 8), acc1);
                    acc2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bc + 16), acc2);
                    acc3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bc + 24), acc3);
                }
            } else {
                for (int c = 0; c < k; c++, bc += mp) {
                    __m256 x = _mm256_set1_ps(ai[c]);
                    acc0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bc), acc0);
                    if (nv > 1) {
                        acc1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bc + 8), acc1);
                    }
                    if (nv > 2) {
                        acc2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bc + 16), acc2);
                    }
                }
            }
            _mm256_storeu_ps(row + j0, _mm256_mul_ps(acc0, vs));
            if (nv > 1) {
                _mm256_storeu_ps(row + j0 + 8, _mm256_mul_ps(acc1, vs));
            }
            if (nv > 2) {
                _mm256_storeu_ps(row + j0 + 16, _mm256_mul_ps(acc2, vs));
            }
            if (nv > 3) {
                _mm256_storeu_ps(row + j0 + 24, _mm256_mul_ps(acc3, vs));
            }
        }
        memcpy(out + i * ldo, row, sizeof(float) * (size_t) m);
    }
}

static void ttq_abt_c(int n, int m, int k, const float* a, int64_t lda, const float* bt, float scale, float* out, int64_t ldo) {
    const int mp = ttq_round8(m);
    for (int i = 0; i < n; i++) {
        float* o = out + i * ldo;
        for (int j = 0; j < m; j++) {
            o[j] = 0.f;
        }
        for (int c = 0; c < k; c++) {
            const float x = a[i * lda + c];
            const float* bc = bt + (int64_t) c * mp;
            for (int j = 0; j < m; j++) {
                o[j] += x * bc[j];
            }
        }
        for (int j = 0; j < m; j++) {
            o[j] *= scale;
        }
    }
}

__attribute__((target("avx2,fma")))
static void ttq_wb_avx2(int n, int m, int k, const float* w, int64_t ldw, const float* b, int64_t ldb, float* out, int64_t ldo) {
    for (int i = 0; i < n; i++) {
        const float* wi = w + i * ldw;
        float* o = out + i * ldo;
        int c0 = 0;
        for (; c0 + 64 <= k; c0 += 64) {
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            __m256 a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps(), a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps();
            const float* bj = b + c0;
            for (int j = 0; j < m; j++, bj += ldb) {
                __m256 x = _mm256_set1_ps(wi[j]);
                a0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bj), a0);
                a1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bj + 8), a1);
                a2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bj + 16), a2);
                a3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bj + 24), a3);
                a4 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bj + 32), a4);
                a5 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bj + 40), a5);
                a6 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bj + 48), a6);
                a7 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bj + 56), a7);
            }
            _mm256_storeu_ps(o + c0, a0);
            _mm256_storeu_ps(o + c0 + 8, a1);
            _mm256_storeu_ps(o + c0 + 16, a2);
            _mm256_storeu_ps(o + c0 + 24, a3);
            _mm256_storeu_ps(o + c0 + 32, a4);
            _mm256_storeu_ps(o + c0 + 40, a5);
            _mm256_storeu_ps(o + c0 + 48, a6);
            _mm256_storeu_ps(o + c0 + 56, a7);
        }
        for (; c0 + 8 <= k; c0 += 8) {
            __m256 a0 = _mm256_setzero_ps();
            for (int j = 0; j < m; j++) {
                a0 = _mm256_fmadd_ps(_mm256_set1_ps(wi[j]), _mm256_loadu_ps(b + j * ldb + c0), a0);
            }
            _mm256_storeu_ps(o + c0, a0);
        }
        for (; c0 < k; c0++) {
            float acc = 0.f;
            for (int j = 0; j < m; j++) {
                acc += wi[j] * b[j * ldb + c0];
            }
            o[c0] = acc;
        }
    }
}

static void ttq_wb_c(int n, int m, int k, const float* w, int64_t ldw, const float* b, int64_t ldb, float* out, int64_t ldo) {
    for (int i = 0; i < n; i++) {
        float* o = out + i * ldo;
        for (int c = 0; c < k; c++) {
            o[c] = 0.f;
        }
        for (int j = 0; j < m; j++) {
            const float x = w[i * ldw + j];
            const float* bj = b + j * ldb;
            for (int c = 0; c < k; c++) {
                o[c] += x * bj[c];
            }
        }
    }
}

static inline void ttq_abt(bool avx2, int n, int m, int k, const float* a, int64_t lda, const float* bt, float scale, float* out,
                           int64_t ldo, float* row) {
    if (avx2) {
        ttq_abt_avx2(n, m, k, a, lda, bt, scale, out, ldo, row);
    } else {
        ttq_abt_c(n, m, k, a, lda, bt, scale, out, ldo);
    }
}

static inline void ttq_wb(bool avx2, int n, int m, int k, const float* w, int64_t ldw, const float* b, int64_t ldb, float* out, int64_t ldo) {
    if (avx2) {
        ttq_wb_avx2(n, m, k, w, ldw, b, ldb, out, ldo);
    } else {
        ttq_wb_c(n, m, k, w, ldw, b, ldb, out, ldo);
    }
}

// Scratch of the attention kernels for one call: a packed transpose [dh][round8(L)], a row, and two
// L x L matrices. NULL when out of memory (the kernels then return 1).
static inline float* ttq_attn_scratch(int L, int dh) {
    return (float*) malloc(sizeof(float) * ((size_t) dh * ttq_round8(L) + ttq_round8(L) + 2 * (size_t) L * L));
}

static inline void ttq_transpose(const float* a, int n, float* at) {
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            at[j * n + i] = a[i * n + j];
        }
    }
}

// P[b, h, i, :] = softmax_j(scale * q_i . k_j), key j of a padded position (mask[b, j] != 0) scored
// -1e9 first (so a row with every key padded comes out uniform, as masked_fill then softmax).
// Returns 0, or 1 if scratch could not be allocated.
static int ttq_attn_probs_forward(int L, int H, int dh, const float* q, const float* k, const float* mask, int hasMask,
                                  float scale, float* p, int64_t bh0, int64_t bh1) {
    const bool avx2 = ttq_has_avx2_fma();
    const int64_t D = (int64_t) H * dh;
    float* kt = ttq_attn_scratch(L, dh);
    if (kt == NULL) {
        return 1;
    }
    float* row = kt + (size_t) dh * ttq_round8(L);
    for (int64_t bh = bh0; bh < bh1; bh++) {
        const int64_t b = bh / H, col = (bh % H) * dh;
        float* pb = p + bh * L * L;
        ttq_pack_t(k + b * L * D + col, D, L, dh, kt);
        ttq_abt(avx2, L, L, dh, q + b * L * D + col, D, kt, scale, pb, L, row);
        const float* mb = hasMask ? mask + b * L : NULL;
        for (int i = 0; i < L; i++) {
            float* r = pb + (int64_t) i * L;
            if (mb != NULL) {
                for (int j = 0; j < L; j++) {
                    r[j] = mb[j] != 0.f ? -1e9f : r[j];
                }
            }
            ttq_softmax_row(r, L);
        }
    }
    free(kt);
    return 0;
}

// Backward of ttq_attn_probs_forward given dP: dS = P * (dP - sum_j dP P) * scale (0 at padded keys),
// dq = dS K, dk = dS^T Q per head (the pair's blocks of dq and dk written, not added). Returns 0, or 1
// if scratch could not be allocated.
static int ttq_attn_probs_backward(int L, int H, int dh, const float* q, const float* k, const float* mask, int hasMask,
                                   float scale, const float* p, const float* dp, float* dq, float* dk, int64_t bh0, int64_t bh1) {
    const bool avx2 = ttq_has_avx2_fma();
    const int64_t D = (int64_t) H * dh;
    float* scratch = ttq_attn_scratch(L, dh);
    if (scratch == NULL) {
        return 1;
    }
    float* ds = scratch + (size_t) dh * ttq_round8(L) + ttq_round8(L);
    float* dst = ds + (size_t) L * L;
    for (int64_t bh = bh0; bh < bh1; bh++) {
        const int64_t b = bh / H, col = (bh % H) * dh;
        const float* mb = hasMask ? mask + b * L : NULL;
        for (int i = 0; i < L; i++) {
            const float* pr = p + bh * L * L + (int64_t) i * L;
            const float* gr = dp + bh * L * L + (int64_t) i * L;
            double dot = 0;
            for (int j = 0; j < L; j++) {
                dot += (double) gr[j] * pr[j];
            }
            for (int j = 0; j < L; j++) {
                ds[i * L + j] = mb != NULL && mb[j] != 0.f ? 0.f : (float) (pr[j] * (gr[j] - dot)) * scale;
            }
        }
        ttq_transpose(ds, L, dst);
        ttq_wb(avx2, L, L, dh, ds, L, k + b * L * D + col, D, dq + b * L * D + col, D);
        ttq_wb(avx2, L, L, dh, dst, L, q + b * L * D + col, D, dk + b * L * D + col, D);
    }
    free(scratch);
    return 0;
}

// out[b, i, h] = sum_j P[b, h, i, j] v[b, j, h] (heads merged back into rows of H * dh).
static void ttq_attn_context_forward(int L, int H, int dh, const float* p, const float* v, float* out, int64_t bh0, int64_t bh1) {
    const bool avx2 = ttq_has_avx2_fma();
    const int64_t D = (int64_t) H * dh;
    for (int64_t bh = bh0; bh < bh1; bh++) {
        const int64_t b = bh / H, col = (bh % H) * dh;
        ttq_wb(avx2, L, L, dh, p + bh * L * L, L, v + b * L * D + col, D, out + b * L * D + col, D);
    }
}

// Backward of ttq_attn_context_forward: dP = dOut_h V_h^T and dV_h = P^T dOut_h (the pair's block of dv
// written, not added). Returns 0, or 1 if scratch could not be allocated.
static int ttq_attn_context_backward(int L, int H, int dh, const float* p, const float* v, const float* dout, float* dp, float* dv,
                                     int64_t bh0, int64_t bh1) {
    const bool avx2 = ttq_has_avx2_fma();
    const int64_t D = (int64_t) H * dh;
    float* vt = ttq_attn_scratch(L, dh);
    if (vt == NULL) {
        return 1;
    }
    float* row = vt + (size_t) dh * ttq_round8(L);
    float* pt = row + ttq_round8(L);
    for (int64_t bh = bh0; bh < bh1; bh++) {
        const int64_t b = bh / H, col = (bh % H) * dh;
        ttq_pack_t(v + b * L * D + col, D, L, dh, vt);
        ttq_abt(avx2, L, L, dh, dout + b * L * D + col, D, vt, 1.f, dp + bh * L * L, L, row);
        ttq_transpose(p + bh * L * L, L, pt);
        ttq_wb(avx2, L, L, dh, pt, L, dout + b * L * D + col, D, dv + b * L * D + col, D);
    }
    free(vt);
    return 0;
}

// xhat = (x - m) * rs and y = gamma * xhat + beta over one row (x may be xhat itself).
__attribute__((target("avx2,fma")))
static inline void ttq_norm_affine_avx2(const float* x, int d, float m, float rs, const float* gamma, const float* beta, float* xhat, float* y) {
    const __m256 vm = _mm256_set1_ps(m), vr = _mm256_set1_ps(rs);
    int j = 0;
    for (; j + 8 <= d; j += 8) {
        __m256 h = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm), vr);
        _mm256_storeu_ps(xhat + j, h);
        _mm256_storeu_ps(y + j, _mm256_fmadd_ps(h, _mm256_loadu_ps(gamma + j), _mm256_loadu_ps(beta + j)));
    }
    for (; j < d; j++) {
        float h = (x[j] - m) * rs;
        xhat[j] = h;
        y[j] = h * gamma[j] + beta[j];
    }
}

// Rows [r0, r1) of y = gamma * xhat + beta, xhat = (s - mean(s)) / sqrt(var(s) + eps), s = x + res
// (res absent when hasRes is 0): writes xhat and 1/std per row for the backward. Moments as the
// inference runtime's layer norm (ttq_row_moments_*), the sum s formed in xhat first.
static void ttq_layernorm_forward(int d, const float* x, const float* res, int hasRes, const float* gamma, const float* beta,
                                  float eps, float* xhat, float* y, float* rstd, int64_t r0, int64_t r1) {
    const bool avx2 = ttq_has_avx2_fma();
    for (int64_t r = r0; r < r1; r++) {
        const float* xr = x + r * d;
        float* hr = xhat + r * d;
        double mean, var;
        if (avx2) {
            ttq_row_moments_avx2(xr, hasRes ? res + r * d : NULL, hr, d, &mean, &var);
            if (hasRes) {
                xr = hr;
            }
        } else {
            if (hasRes) {
                const float* ar = res + r * d;
                for (int j = 0; j < d; j++) {
                    hr[j] = xr[j] + ar[j];
                }
                xr = hr;
            }
            ttq_row_moments_c(xr, d, &mean, &var);
        }
        const float m = (float) mean, rs = (float) (1.0 / sqrt(var + eps));
        rstd[r] = rs;
        if (avx2) {
            ttq_norm_affine_avx2(xr, d, m, rs, gamma, beta, hr, y + r * d);
        } else {
            float* yr = y + r * d;
            for (int j = 0; j < d; j++) {
                float h = (xr[j] - m) * rs;
                hr[j] = h;
                yr[j] = h * gamma[j] + beta[j];
            }
        }
    }
}

// Backward of ttq_layernorm_forward over rows [r0, r1): g = dy * gamma, dx = rstd * (g - mean(g) -
// xhat * mean(g * xhat)); the rows' dgamma = sum dy * xhat and dbeta = sum dy are added into
// dgamma[0, d) and dbeta[0, d) (this block's partial sums: the caller adds the blocks in order).
// The row sums run in float lanes, added in double at the end (about 1e-7 from double sums).
__attribute__((target("avx2,fma")))
static void ttq_layernorm_backward_avx2(int d, const float* xhat, const float* rstd, const float* gamma, const float* dy, float* dx,
                                        float* dgamma, float* dbeta, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
        const float* hr = xhat + r * d;
        const float* gr = dy + r * d;
        float* dr = dx + r * d;
        __m256 sg0 = _mm256_setzero_ps(), sg1 = _mm256_setzero_ps(), sx0 = _mm256_setzero_ps(), sx1 = _mm256_setzero_ps();
        int j = 0;
        for (; j + 16 <= d; j += 16) {
            __m256 g0 = _mm256_mul_ps(_mm256_loadu_ps(gr + j), _mm256_loadu_ps(gamma + j));
            __m256 g1 = _mm256_mul_ps(_mm256_loadu_ps(gr + j + 8), _mm256_loadu_ps(gamma + j + 8));
            sg0 = _mm256_add_ps(sg0, g0);
            sg1 = _mm256_add_ps(sg1, g1);
            sx0 = _mm256_fmadd_ps(g0, _mm256_loadu_ps(hr + j), sx0);
            sx1 = _mm256_fmadd_ps(g1, _mm256_loadu_ps(hr + j + 8), sx1);
        }
        float lg[8], lx[8];
        _mm256_storeu_ps(lg, _mm256_add_ps(sg0, sg1));
        _mm256_storeu_ps(lx, _mm256_add_ps(sx0, sx1));
        double sg = 0, sx = 0;
        for (int l = 0; l < 8; l++) {
            sg += lg[l];
            sx += lx[l];
        }
        for (; j < d; j++) {
            float g0 = gr[j] * gamma[j];
            sg += g0;
            sx += (double) g0 * hr[j];
        }
        const float mg = (float) (sg / d), mgx = (float) (sx / d), rs = rstd[r];
        const __m256 vmg = _mm256_set1_ps(mg), vmgx = _mm256_set1_ps(mgx), vrs = _mm256_set1_ps(rs);
        for (j = 0; j + 8 <= d; j += 8) {
            __m256 dyv = _mm256_loadu_ps(gr + j), h = _mm256_loadu_ps(hr + j);
            __m256 t = _mm256_fnmadd_ps(h, vmgx, _mm256_sub_ps(_mm256_mul_ps(dyv, _mm256_loadu_ps(gamma + j)), vmg));
            _mm256_storeu_ps(dr + j, _mm256_mul_ps(vrs, t));
            _mm256_storeu_ps(dgamma + j, _mm256_fmadd_ps(dyv, h, _mm256_loadu_ps(dgamma + j)));
            _mm256_storeu_ps(dbeta + j, _mm256_add_ps(dyv, _mm256_loadu_ps(dbeta + j)));
        }
        for (; j < d; j++) {
            dr[j] = rs * (gr[j] * gamma[j] - mg - hr[j] * mgx);
            dgamma[j] += gr[j] * hr[j];
            dbeta[j] += gr[j];
        }
    }
}

static void ttq_layernorm_backward_c(int d, const float* xhat, const float* rstd, const float* gamma, const float* dy, float* dx,
                                     float* dgamma, float* dbeta, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
        const float* hr = xhat + r * d;
        const float* gr = dy + r * d;
        float* dr = dx + r * d;
        double sg = 0, sx = 0;
        for (int j = 0; j < d; j++) {
            float g0 = gr[j] * gamma[j];
            sg += g0;
            sx += (double) g0 * hr[j];
        }
        const float mg = (float) (sg / d), mgx = (float) (sx / d), rs = rstd[r];
        for (int j = 0; j < d; j++) {
            dr[j] = rs * (gr[j] * gamma[j] - mg - hr[j] * mgx);
            dgamma[j] += gr[j] * hr[j];
            dbeta[j] += gr[j];
        }
    }
}

static void ttq_layernorm_backward(int d, const float* xhat, const float* rstd, const float* gamma, const float* dy, float* dx,
                                   float* dgamma, float* dbeta, int64_t r0, int64_t r1) {
    if (ttq_has_avx2_fma()) {
        ttq_layernorm_backward_avx2(d, xhat, rstd, gamma, dy, dx, dgamma, dbeta, r0, r1);
    } else {
        ttq_layernorm_backward_c(d, xhat, rstd, gamma, dy, dx, dgamma, dbeta, r0, r1);
    }
}

// Softmax (log 0) or log-softmax (log 1) over rows of width n, rows [r0, r1) of x into out; lse[r] =
// max + log(sum exp(x - max)) of each row (the log-partition, for a cross-entropy). exp by
// ttq_exp_neg (relative error <= 4.7e-7); the sum in double.
__attribute__((target("avx2,fma")))
static double ttq_exp_sum_avx2(const float* x, float mx, float* store, int n) {
    const __m256 vmx = _mm256_set1_ps(mx);
    __m256 s0 = _mm256_setzero_ps();
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 e = ttq_exp_neg8(_mm256_sub_ps(_mm256_loadu_ps(x + j), vmx));
        if (store != NULL) {
            _mm256_storeu_ps(store + j, e);
        }
        s0 = _mm256_add_ps(s0, e);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, s0);
    double sum = ((double) lanes[0] + lanes[1]) + ((double) lanes[2] + lanes[3]) + ((double) lanes[4] + lanes[5])
                 + ((double) lanes[6] + lanes[7]);
    for (; j < n; j++) {
        float e = ttq_exp_neg(x[j] - mx);
        if (store != NULL) {
            store[j] = e;
        }
        sum += e;
    }
    return sum;
}

static double ttq_exp_sum_c(const float* x, float mx, float* store, int n) {
    double sum = 0;
    for (int j = 0; j < n; j++) {
        float e = ttq_exp_neg(x[j] - mx);
        if (store != NULL) {
            store[j] = e;
        }
        sum += e;
    }
    return sum;
}

static void ttq_softmax_rows(int n, const float* x, float* out, float* lse, int log, int64_t r0, int64_t r1) {
    const bool avx2 = ttq_has_avx2_fma();
    for (int64_t r = r0; r < r1; r++) {
        const float* xr = x + r * n;
        float* o = out + r * n;
        float mx = xr[0];
        for (int j = 1; j < n; j++) {
            mx = xr[j] > mx ? xr[j] : mx;
        }
        double sum = avx2 ? ttq_exp_sum_avx2(xr, mx, log ? NULL : o, n) : ttq_exp_sum_c(xr, mx, log ? NULL : o, n);
        double z = (double) mx + ::log(sum);
        lse[r] = (float) z;
        if (log) {
            for (int j = 0; j < n; j++) {
                o[j] = (float) (xr[j] - z);
            }
        } else {
            const float inv = (float) (1.0 / sum);
            for (int j = 0; j < n; j++) {
                o[j] *= inv;
            }
        }
    }
}

// GELU followed by per-tensor fake quantization, q = Q(gelu(x), d), in one pass over x (the input of
// a quantized layer after the feed-forward GELU), and its backward from x alone (gelu(x) is formed
// again, once, with gelu'(x) from the same exponential). Every vector and scalar formula is the one
// the composed kernels of ttq_elementwise.h use, in the same order (no fused multiply-adds where
// those have none: the quantizer's q - x must see q rounded), and an element takes the vector or the
// scalar path exactly when it would there on the same [off, off + n): forward, input gradient and
// the scale-gradient sum are bit-identical to gelu then quantize.
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
__attribute__((target("avx2,fma")))
static void ttq_gelu_quantize_forward_avx2(const float* x, float* q, int64_t off, int64_t n, float d, float lo, float hi) {
    const __m256 vd = _mm256_set1_ps(d), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi), zero = _mm256_setzero_ps();
    int64_t i = off, end = off + n;
    for (; i + 8 <= end; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = ttq_exp_neg8(_mm256_mul_ps(_mm256_mul_ps(v, v), _mm256_set1_ps(-0.5f)));
        __m256 u = _mm256_div_ps(_mm256_mul_ps(v, ttq_phi8(v, e)), vd);
        __m256 c = _mm256_min_ps(vhi, _mm256_max_ps(vlo, u));
        __m256 r = _mm256_round_ps(c, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_storeu_ps(q + i, _mm256_add_ps(_mm256_mul_ps(vd, r), zero));
    }
    if (i < end) { // the tail as the composed kernels run it: GELU's scalar tail, then the quantizer's
        float y[8];
        ttq_gelu_forward_avx2(x + i, y, 0, end - i);
        for (int64_t k = 0; k < end - i; k++) {
            q[i + k] = d * ttq_quantize_level(y[k], d, lo, hi) + 0.0f;
        }
    }
}

__attribute__((target("avx2,fma")))
static double ttq_gelu_quantize_backward_avx2(const float* x, const float* g, float* dx, int64_t off, int64_t n, float d, float lo, float hi) {
    const __m256 vd = _mm256_set1_ps(d), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    int64_t i = off, end = off + n;
    for (; i + 8 <= end; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), gv = _mm256_loadu_ps(g + i);
        __m256 e = ttq_exp_neg8(_mm256_mul_ps(_mm256_mul_ps(v, v), _mm256_set1_ps(-0.5f)));
        __m256 phi = ttq_phi8(v, e);
        __m256 y = _mm256_mul_ps(v, phi);
        __m256 u = _mm256_div_ps(y, vd);
        __m256 below = _mm256_cmp_ps(u, vlo, _CMP_LT_OQ), above = _mm256_cmp_ps(u, vhi, _CMP_GT_OQ);
        __m256 outside = _mm256_or_ps(below, above);
        __m256 qv = _mm256_mul_ps(vd, _mm256_round_ps(u, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256 inside = _mm256_div_ps(_mm256_mul_ps(gv, _mm256_sub_ps(qv, y)), vd);
        __m256 t = _mm256_blendv_ps(inside, _mm256_mul_ps(gv, vlo), below);
        t = _mm256_blendv_ps(t, _mm256_mul_ps(gv, vhi), above);
        __m256 dy = _mm256_andnot_ps(outside, gv);
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(t)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(t, 1)));
        __m256 dg = _mm256_fmadd_ps(_mm256_mul_ps(v, _mm256_set1_ps(0.39894228040143268f)), e, phi);
        _mm256_storeu_ps(dx + i, _mm256_mul_ps(dy, dg));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(s0, s1));
    double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    if (i < end) {
        float y[8], dy[8];
        ttq_gelu_forward_avx2(x + i, y, 0, end - i);
        for (int64_t k = 0; k < end - i; k++) {
            sum += ttq_quantize_backward_term(y, g + i, dy, k, d, lo, hi);
        }
        ttq_gelu_backward_avx2(x + i, dy, dx + i, 0, end - i);
    }
    return sum;
}
#pragma GCC pop_options

// The portable path: the composed kernels block by block (blocks of whole vectors from off).
#define TTQ_GQ_BLOCK 256
static void ttq_gelu_quantize_forward(const float* x, float* q, int64_t off, int64_t n, float d, float lo, float hi) {
    if (ttq_has_avx2_fma()) {
        ttq_gelu_quantize_forward_avx2(x, q, off, n, d, lo, hi);
        return;
    }
    float y[TTQ_GQ_BLOCK];
    for (int64_t i = off; i < off + n; i += TTQ_GQ_BLOCK) {
        const int64_t len = off + n - i < TTQ_GQ_BLOCK ? off + n - i : TTQ_GQ_BLOCK;
        ttq_gelu_forward(x + i, y, 0, len);
        ttq_quantize_forward(y, q + i, 0, len, d, lo, hi);
    }
}

// Backward: dy = g inside [lo, hi] and 0 outside (straight through), dx = dy * gelu'(x); returns
// the sum of the scale-gradient terms over the slice.
static double ttq_gelu_quantize_backward(const float* x, const float* g, float* dx, int64_t off, int64_t n, float d, float lo, float hi) {
    if (ttq_has_avx2_fma()) {
        return ttq_gelu_quantize_backward_avx2(x, g, dx, off, n, d, lo, hi);
    }
    float y[TTQ_GQ_BLOCK], dy[TTQ_GQ_BLOCK];
    double sum = 0;
    for (int64_t i = off; i < off + n; i += TTQ_GQ_BLOCK) {
        const int64_t len = off + n - i < TTQ_GQ_BLOCK ? off + n - i : TTQ_GQ_BLOCK;
        ttq_gelu_forward(x + i, y, 0, len);
        sum += ttq_quantize_backward(y, g + i, dy, 0, len, d, lo, hi);
        ttq_gelu_backward(x + i, dy, dx + i, 0, len);
    }
    return sum;
}
