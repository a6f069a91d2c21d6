// Fused elementwise kernels used by the engine; each processes elements [off, off + n). Each has a portable version and an AVX2/FMA
// clone chosen by the loader (GCC target_clones -> ifunc resolved from CPUID at load time), so
// the library runs on any x86-64 and never executes an instruction the CPU lacks.
#pragma once
#include <math.h>
#include <stdint.h>

#define TTQ_CLONES __attribute__((target_clones("avx2,fma", "default")))

// GELU, erf form (as BERT): y = x * Phi(x), Phi(x) = 0.5 * (1 + erf(x / sqrt(2))).
TTQ_CLONES
static void ttq_gelu_forward(const float* x, float* y, int64_t off, int64_t n) {
    for (int64_t i = off; i < off + n; i++) {
        float v = x[i];
        y[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    }
}

// dx = dy * (Phi(x) + x * phi(x)), phi the standard normal density.
TTQ_CLONES
static void ttq_gelu_backward(const float* x, const float* dy, float* dx, int64_t off, int64_t n) {
    for (int64_t i = off; i < off + n; i++) {
        float v = x[i];
        float cdf = 0.5f * (1.0f + erff(v * 0.70710678118654752f));
        float pdf = 0.39894228040143268f * expf(-0.5f * v * v);
        dx[i] = dy[i] * (cdf + v * pdf);
    }
}

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
