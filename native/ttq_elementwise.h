// Fused elementwise kernels used by the engine; each processes elements [off, off + n). Each has a portable version and an AVX2/FMA
// clone chosen by the loader (GCC target_clones -> ifunc resolved from CPUID at load time), so
// the library runs on any x86-64 and never executes an instruction the CPU lacks.
#pragma once
#include <math.h>
#include <stdint.h>

#define TTQ_CLONES __attribute__((target_clones("avx2,fma", "default")))

// GELU, erf form (as BERT): y = x * Phi(x), Phi(x) = 0.5 * (1 + erf(x / sqrt(2))); backward
// dx = dy * (Phi(x) + x * phi(x)). erf by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7) on
// exp(-x^2 / 2), which phi needs anyway, with a Cephes-style exp: max |error| 4.7e-7 (forward) and
// 2.9e-7 (backward) against double erf over [-15, 15], 5-7x faster than libm's erff per element
// (31 vs 5 ns, 2026-11-26). An AVX2 body and a portable one with the same formulas, picked at load
// time from CPUID.
#include <immintrin.h>
#include <string.h>

// exp(x) for x <= 0 and Phi(v) given e = exp(-v^2 / 2), scalar; the AVX2 versions below are the same formulas.
static inline float ttq_exp_neg(float x) {
    x = x < -87.0f ? -87.0f : x;
    float fi = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - fi * 0.693359375f + fi * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t) fi + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return y * scale;
}
static inline float ttq_phi(float v, float e) {
    float z = fabsf(v) * 0.70710678118654752f;
    float t = 1.0f / (1.0f + 0.3275911f * z);
    float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
    return 0.5f + copysignf(0.5f, v) * (1.0f - poly * e);
}
__attribute__((target("avx2,fma"))) static inline __m256 ttq_exp_neg8(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    __m256 fi = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fmadd_ps(fi, _mm256_set1_ps(2.12194440e-4f), _mm256_fnmadd_ps(fi, _mm256_set1_ps(0.693359375f), x));
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fi), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}
__attribute__((target("avx2,fma"))) static inline __m256 ttq_phi8(__m256 v, __m256 e) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 z = _mm256_mul_ps(_mm256_andnot_ps(sign, v), _mm256_set1_ps(0.70710678118654752f));
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(z, _mm256_set1_ps(0.3275911f), _mm256_set1_ps(1.0f)));
    __m256 q = _mm256_fmadd_ps(t, _mm256_set1_ps(1.061405429f), _mm256_set1_ps(-1.453152027f));
    q = _mm256_fmadd_ps(t, q, _mm256_set1_ps(1.421413741f));
    q = _mm256_fmadd_ps(t, q, _mm256_set1_ps(-0.284496736f));
    q = _mm256_fmadd_ps(t, q, _mm256_set1_ps(0.254829592f));
    __m256 erfAbs = _mm256_fnmadd_ps(_mm256_mul_ps(t, q), e, _mm256_set1_ps(1.0f));
    __m256 half = _mm256_or_ps(_mm256_and_ps(sign, v), _mm256_set1_ps(0.5f));
    return _mm256_fmadd_ps(half, erfAbs, _mm256_set1_ps(0.5f));
}

__attribute__((target("avx2,fma")))
static void ttq_gelu_forward_avx2(const float* x, float* y, int64_t off, int64_t n) {
    int64_t i = off, end = off + n;
    for (; i + 8 <= end; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = ttq_exp_neg8(_mm256_mul_ps(_mm256_mul_ps(v, v), _mm256_set1_ps(-0.5f)));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(v, ttq_phi8(v, e)));
    }
    for (; i < end; i++) {
        float v = x[i];
        y[i] = v * ttq_phi(v, ttq_exp_neg(-0.5f * v * v));
    }
}

static void ttq_gelu_forward_c(const float* x, float* y, int64_t off, int64_t n) {
    for (int64_t i = off; i < off + n; i++) {
        float v = x[i];
        y[i] = v * ttq_phi(v, ttq_exp_neg(-0.5f * v * v));
    }
}

__attribute__((target("avx2,fma")))
static void ttq_gelu_backward_avx2(const float* x, const float* dy, float* dx, int64_t off, int64_t n) {
    int64_t i = off, end = off + n;
    for (; i + 8 <= end; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = ttq_exp_neg8(_mm256_mul_ps(_mm256_mul_ps(v, v), _mm256_set1_ps(-0.5f)));
        __m256 d = _mm256_fmadd_ps(_mm256_mul_ps(v, _mm256_set1_ps(0.39894228040143268f)), e, ttq_phi8(v, e));
        _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(dy + i), d));
    }
    for (; i < end; i++) {
        float v = x[i], e = ttq_exp_neg(-0.5f * v * v);
        dx[i] = dy[i] * (ttq_phi(v, e) + v * 0.39894228040143268f * e);
    }
}

static void ttq_gelu_backward_c(const float* x, const float* dy, float* dx, int64_t off, int64_t n) {
    for (int64_t i = off; i < off + n; i++) {
        float v = x[i], e = ttq_exp_neg(-0.5f * v * v);
        dx[i] = dy[i] * (ttq_phi(v, e) + v * 0.39894228040143268f * e);
    }
}

// libgcc's check includes the OS's AVX register state (XGETBV), so AVX2 is never run where it would fault.
static inline bool ttq_has_avx2_fma() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes;
}

static void ttq_gelu_forward(const float* x, float* y, int64_t off, int64_t n) {
    if (ttq_has_avx2_fma()) {
        ttq_gelu_forward_avx2(x, y, off, n);
    } else {
        ttq_gelu_forward_c(x, y, off, n);
    }
}

static void ttq_gelu_backward(const float* x, const float* dy, float* dx, int64_t off, int64_t n) {
    if (ttq_has_avx2_fma()) {
        ttq_gelu_backward_avx2(x, dy, dx, off, n);
    } else {
        ttq_gelu_backward_c(x, dy, dx, off, n);
    }
}

// No fused multiply-adds here: q - x must see q rounded, as in Java (GCC may otherwise contract
// d * r - x into one FMA in the AVX2 functions).
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")

// The integer level of one value, as a float: rint(clamp(x / d, lo, hi)) (NaN stays NaN). The
// scalar tails and portable loops below all go through it.
static inline float ttq_quantize_level(float x, float d, float lo, float hi) {
    float u = x / d;
    return nearbyintf(u < lo ? lo : (u > hi ? hi : u));
}

// Fake quantization with one scale d (the engine's per-tensor case):
//   q = d * rint(clamp(x / d, lo, hi)) + 0 (no negative zero level; NaN stays NaN),
// bit for bit what the Java loop computes (IEEE division, round half to even). The backward
// writes dx = g inside [lo, hi], 0 outside (the straight-through rule of the paper's eq. 1), and
// returns the sum over the slice of the scale's gradient terms (eq. 2): g * (q - x) / d inside,
// g * lo below, g * hi above, each term in float as the Java code forms it, summed in double.
__attribute__((target("avx2,fma")))
static void ttq_quantize_forward_avx2(const float* x, float* q, int64_t off, int64_t n, float d, float lo, float hi) {
    const __m256 vd = _mm256_set1_ps(d), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi), zero = _mm256_setzero_ps();
    int64_t i = off, end = off + n;
    for (; i + 8 <= end; i += 8) {
        __m256 u = _mm256_div_ps(_mm256_loadu_ps(x + i), vd);
        __m256 c = _mm256_min_ps(vhi, _mm256_max_ps(vlo, u)); // constant first: a NaN u comes through
        __m256 r = _mm256_round_ps(c, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_storeu_ps(q + i, _mm256_add_ps(_mm256_mul_ps(vd, r), zero));
    }
    for (; i < end; i++) {
        q[i] = d * ttq_quantize_level(x[i], d, lo, hi) + 0.0f;
    }
}

static void ttq_quantize_forward_c(const float* x, float* q, int64_t off, int64_t n, float d, float lo, float hi) {
    for (int64_t i = off; i < off + n; i++) {
        q[i] = d * ttq_quantize_level(x[i], d, lo, hi) + 0.0f;
    }
}

static inline double ttq_quantize_backward_term(const float* x, const float* g, float* dx, int64_t i, float d, float lo, float hi) {
    float u = x[i] / d;
    if (u < lo) {
        dx[i] = 0.0f;
        return (double) (g[i] * lo);
    }
    if (u > hi) {
        dx[i] = 0.0f;
        return (double) (g[i] * hi);
    }
    float q = d * nearbyintf(u);
    dx[i] = g[i];
    return (double) (g[i] * (q - x[i]) / d);
}

__attribute__((target("avx2,fma")))
static double ttq_quantize_backward_avx2(const float* x, const float* g, float* dx, int64_t off, int64_t n, float d, float lo, float hi) {
    const __m256 vd = _mm256_set1_ps(d), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    int64_t i = off, end = off + n;
    for (; i + 8 <= end; i += 8) {
        __m256 xv = _mm256_loadu_ps(x + i), gv = _mm256_loadu_ps(g + i);
        __m256 u = _mm256_div_ps(xv, vd);
        __m256 below = _mm256_cmp_ps(u, vlo, _CMP_LT_OQ), above = _mm256_cmp_ps(u, vhi, _CMP_GT_OQ);
        __m256 outside = _mm256_or_ps(below, above);
        __m256 q = _mm256_mul_ps(vd, _mm256_round_ps(u, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256 inside = _mm256_div_ps(_mm256_mul_ps(gv, _mm256_sub_ps(q, xv)), vd);
        __m256 t = _mm256_blendv_ps(inside, _mm256_mul_ps(gv, vlo), below);
        t = _mm256_blendv_ps(t, _mm256_mul_ps(gv, vhi), above);
        _mm256_storeu_ps(dx + i, _mm256_andnot_ps(outside, gv));
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(t)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(t, 1)));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(s0, s1));
    double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < end; i++) {
        sum += ttq_quantize_backward_term(x, g, dx, i, d, lo, hi);
    }
    return sum;
}

static double ttq_quantize_backward_c(const float* x, const float* g, float* dx, int64_t off, int64_t n, float d, float lo, float hi) {
    double sum = 0;
    for (int64_t i = off; i < off + n; i++) {
        sum += ttq_quantize_backward_term(x, g, dx, i, d, lo, hi);
    }
    return sum;
}

static void ttq_quantize_forward(const float* x, float* q, int64_t off, int64_t n, float d, float lo, float hi) {
    if (ttq_has_avx2_fma()) {
        ttq_quantize_forward_avx2(x, q, off, n, d, lo, hi);
    } else {
        ttq_quantize_forward_c(x, q, off, n, d, lo, hi);
    }
}

static double ttq_quantize_backward(const float* x, const float* g, float* dx, int64_t off, int64_t n, float d, float lo, float hi) {
    return ttq_has_avx2_fma() ? ttq_quantize_backward_avx2(x, g, dx, off, n, d, lo, hi)
                              : ttq_quantize_backward_c(x, g, dx, off, n, d, lo, hi);
}
// Quantization to int8 codes: out[i] = rint(clamp(x[i] / d, lo, hi)) (-128 <= lo <= hi <= 127), NaN -> 0,
// as Java's (byte) Math.rint(...) gives.
__attribute__((target("avx2,fma")))
static void ttq_quantize_to_int8_avx2(const float* x, int8_t* out, int64_t off, int64_t n, float d, float lo, float hi) {
    const __m256 vd = _mm256_set1_ps(d), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    int64_t i = off, end = off + n;
    for (; i + 16 <= end; i += 16) {
        __m256 u0 = _mm256_div_ps(_mm256_loadu_ps(x + i), vd), u1 = _mm256_div_ps(_mm256_loadu_ps(x + i + 8), vd);
        u0 = _mm256_and_ps(_mm256_cmp_ps(u0, u0, _CMP_ORD_Q), _mm256_min_ps(vhi, _mm256_max_ps(vlo, u0))); // NaN -> 0
        u1 = _mm256_and_ps(_mm256_cmp_ps(u1, u1, _CMP_ORD_Q), _mm256_min_ps(vhi, _mm256_max_ps(vlo, u1)));
        __m256i q0 = _mm256_cvtps_epi32(_mm256_round_ps(u0, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i q1 = _mm256_cvtps_epi32(_mm256_round_ps(u1, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i w = _mm256_packs_epi32(q0, q1);                   // int16, lanes interleaved by 128-bit halves
        __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
        // packs worked per 128-bit half: [q0 lo4, q1 lo4, q0 hi4, q1 hi4] -> put back in order
        b = _mm_shuffle_epi32(b, _MM_SHUFFLE(3, 1, 2, 0));
        _mm_storeu_si128((__m128i*)(out + i), b);
    }
    for (; i < end; i++) {
        float level = ttq_quantize_level(x[i], d, lo, hi);
        out[i] = level != level ? 0 : (int8_t) level;
    }
}

static void ttq_quantize_to_int8_c(const float* x, int8_t* out, int64_t off, int64_t n, float d, float lo, float hi) {
    for (int64_t i = off; i < off + n; i++) {
        float level = ttq_quantize_level(x[i], d, lo, hi);
        out[i] = level != level ? 0 : (int8_t) level;
    }
}

static void ttq_quantize_to_int8(const float* x, int8_t* out, int64_t off, int64_t n, float d, float lo, float hi) {
    if (ttq_has_avx2_fma()) {
        ttq_quantize_to_int8_avx2(x, out, off, n, d, lo, hi);
    } else {
        ttq_quantize_to_int8_c(x, out, off, n, d, lo, hi);
    }
}
#pragma GCC pop_options

// One Adam/AdamW step over a parameter slice, in place. bc1 = 1 - beta1^t, bc2 = 1 - beta2^t.
// decoupled != 0: AdamW (p -= lr * wd * p); otherwise wd is L2 added to the gradient (Adam).
TTQ_CLONES
static void ttq_adam_update(float* p, const float* g, float* m, float* v, int64_t off, int64_t n,
                            float lr, float beta1, float beta2, float eps, float wd,
                            int decoupled, float bc1, float bc2) {
    const float stepScale = lr / bc1;
    const float invSqrtBc2 = 1.0f / sqrtf(bc2);
    for (int64_t i = off; i < off + n; i++) {
        float gi = g[i];
        if (!decoupled) gi += wd * p[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float upd = stepScale * mi / (sqrtf(vi) * invSqrtBc2 + eps);
        if (decoupled) upd += lr * wd * p[i];
        p[i] -= upd;
    }
}
