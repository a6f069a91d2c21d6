// ttq CUDA kernels: the device side of the engine's CPU kernels (CpuKernels, ttq_elementwise.h,
// ttq_int8.h). Compiled by nvcc during the build into one fatbin (native/cuda/build-fatbin.sh) and
// loaded at run time through the driver API (ttq.kernels.cuda.CudaModule), so a build without
// nvcc still builds and a machine without a GPU never touches this code.
//
// Conventions: row-major float32 unless named otherwise; every kernel takes its sizes explicitly
// and checks nothing: the Java launchers (ttq.kernels.cuda.CudaOps) validate shapes and buffer
// sizes before launching. Reductions are deterministic (fixed tree order, no float atomics), so a
// training step gives the same bits run after run, as the CPU path does.

#include <cstdint>
#include <cfloat>

#define TTQ_BLOCK 256          // threads per block of the 1-D and per-row kernels (LaunchGeometry.BLOCK)
#define TTQ_TILE 16            // tile edge of the batched GEMM (LaunchGeometry.TILE)

// ------------------------------------------------------------------ block reductions

// Sum over the block (blockDim.x a power of two <= 1024); every thread gets the result.
__device__ float ttq_block_sum(float v, float* scratch) {
    int t = threadIdx.x;
    scratch[t] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) {
            scratch[t] += scratch[t + s];
        }
        __syncthreads();
    }
    float r = scratch[0];
    __syncthreads();
    return r;
}

__device__ float ttq_block_max(float v, float* scratch) {
    int t = threadIdx.x;
    scratch[t] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) {
            scratch[t] = fmaxf(scratch[t], scratch[t + s]);
        }
        __syncthreads();
    }
    float r = scratch[0];
    __syncthreads();
    return r;
}

// ------------------------------------------------------------------ GELU (erf form, as BERT)

extern "C" __global__ void ttq_gelu_forward(const float* __restrict__ x, float* __restrict__ y, long n) {
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        float v = x[i];
        y[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    }
}

// d/dx [x Phi(x)] = Phi(x) + x phi(x)
extern "C" __global__ void ttq_gelu_backward(const float* __restrict__ x, const float* __restrict__ gy,
                                             float* __restrict__ gx, long n) {
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        float v = x[i];
        float cdf = 0.5f * (1.0f + erff(v * 0.70710678118654752f));
        float pdf = 0.39894228040143268f * expf(-0.5f * v * v);
        gx[i] = gy[i] * (cdf + v * pdf);
    }
}

// ------------------------------------------------------------------ softmax over the last axis

// One block per row.
extern "C" __global__ void ttq_softmax_forward(const float* __restrict__ x, float* __restrict__ y, int rows, int cols) {
    __shared__ float scratch[TTQ_BLOCK];
    int row = blockIdx.x;
    if (row >= rows) {
        return;
    }
    const float* xr = x + (long) row * cols;
    float* yr = y + (long) row * cols;
    float m = -INFINITY;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        m = fmaxf(m, xr[j]);
    }
    m = ttq_block_max(m, scratch);
    float s = 0.f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        float e = expf(xr[j] - m);
        yr[j] = e;
        s += e;
    }
    s = ttq_block_sum(s, scratch);
    float inv = 1.0f / s;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        yr[j] *= inv;
    }
}

// gx = y * (gy - sum(gy * y)) per row.
extern "C" __global__ void ttq_softmax_backward(const float* __restrict__ y, const float* __restrict__ gy,
                                                float* __restrict__ gx, int rows, int cols) {
    __shared__ float scratch[TTQ_BLOCK];
    int row = blockIdx.x;
    if (row >= rows) {
        return;
    }
    long o = (long) row * cols;
    float d = 0.f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        d += gy[o + j] * y[o + j];
    }
    d = ttq_block_sum(d, scratch);
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        gx[o + j] = y[o + j] * (gy[o + j] - d);
    }
}

// ------------------------------------------------------------------ layer norm over the last axis

// y = (x - mean) * rstd * gamma + beta; mean and rstd saved per row for the backward.
extern "C" __global__ void ttq_layernorm_forward(const float* __restrict__ x, const float* __restrict__ gamma,
                                                 const float* __restrict__ beta, float* __restrict__ y,
                                                 float* __restrict__ mean, float* __restrict__ rstd,
                                                 int rows, int cols, float eps) {
    __shared__ float scratch[TTQ_BLOCK];
    int row = blockIdx.x;
    if (row >= rows) {
        return;
    }
    long o = (long) row * cols;
    float s = 0.f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        s += x[o + j];
    }
    float mu = ttq_block_sum(s, scratch) / cols;
    float q = 0.f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        float c = x[o + j] - mu;
        q += c * c;
    }
    float r = rsqrtf(ttq_block_sum(q, scratch) / cols + eps);
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        y[o + j] = (x[o + j] - mu) * r * gamma[j] + beta[j];
    }
    if (threadIdx.x == 0) {
        mean[row] = mu;
        rstd[row] = r;
    }
}

// Input gradient, one block per row: gx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = gy * gamma.
extern "C" __global__ void ttq_layernorm_backward_input(const float* __restrict__ x, const float* __restrict__ gamma,
                                                        const float* __restrict__ mean, const float* __restrict__ rstd,
                                                        const float* __restrict__ gy, float* __restrict__ gx,
                                                        int rows, int cols) {
    __shared__ float scratch[TTQ_BLOCK];
    int row = blockIdx.x;
    if (row >= rows) {
        return;
    }
    long o = (long) row * cols;
    float mu = mean[row], r = rstd[row];
    float sg = 0.f, sgx = 0.f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        float g = gy[o + j] * gamma[j];
        sg += g;
        sgx += g * (x[o + j] - mu) * r;
    }
    sg = ttq_block_sum(sg, scratch) / cols;
    sgx = ttq_block_sum(sgx, scratch) / cols;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        float xhat = (x[o + j] - mu) * r;
        gx[o + j] = r * (gy[o + j] * gamma[j] - sg - xhat * sgx);
    }
}

// gamma and beta gradients, one thread per column, rows summed in order (deterministic).
extern "C" __global__ void ttq_layernorm_backward_params(const float* __restrict__ x, const float* __restrict__ mean,
                                                         const float* __restrict__ rstd, const float* __restrict__ gy,
                                                         float* __restrict__ ggamma, float* __restrict__ gbeta,
                                                         int rows, int cols) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= cols) {
        return;
    }
    float gg = 0.f, gb = 0.f;
    for (int row = 0; row < rows; row++) {
        long o = (long) row * cols + j;
        gg += gy[o] * (x[o] - mean[row]) * rstd[row];
        gb += gy[o];
    }
    ggamma[j] += gg; // gradients accumulate, as on the CPU
    gbeta[j] += gb;
}

// ------------------------------------------------------------------ learned-scale quantizer (paper eqs. 1-2)

// y = scale * rint(clip(x / scale, qn, qp)); rint rounds half to even, as Math.rint.
extern "C" __global__ void ttq_lsq_forward(const float* __restrict__ x, const float* __restrict__ scale,
                                           float* __restrict__ y, long n, float qn, float qp) {
    float d = scale[0];
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        float v = fminf(fmaxf(x[i] / d, qn), qp);
        y[i] = d * rintf(v);
    }
}

// gx = gy inside the range, 0 outside; partial[block] = this block's share of dL/dscale:
// gy * (Q - x) / scale inside, gy * qn below, gy * qp above. ttq_sum_partials finishes the sum.
extern "C" __global__ void ttq_lsq_backward(const float* __restrict__ x, const float* __restrict__ scale,
                                            const float* __restrict__ gy, float* __restrict__ gx,
                                            float* __restrict__ partial, long n, float qn, float qp) {
    __shared__ float scratch[TTQ_BLOCK];
    float d = scale[0];
    float acc = 0.f;
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        float v = x[i] / d;
        float g = gy[i];
        if (v < qn) {
            gx[i] = 0.f;
            acc += g * qn;
        } else if (v > qp) {
            gx[i] = 0.f;
            acc += g * qp;
        } else {
            gx[i] = g;
            acc += g * (rintf(v) - v);
        }
    }
    acc = ttq_block_sum(acc, scratch);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = acc;
    }
}

// out[0] (+)= sum of count partials, in one block: the second, fixed-order stage of a reduction.
extern "C" __global__ void ttq_sum_partials(const float* __restrict__ partial, int count, float* __restrict__ out, int accumulate) {
    __shared__ float scratch[TTQ_BLOCK];
    float s = 0.f;
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        s += partial[i];
    }
    s = ttq_block_sum(s, scratch);
    if (threadIdx.x == 0) {
        out[0] = accumulate ? out[0] + s : s;
    }
}

// ------------------------------------------------------------------ Adam / AdamW (the formula of ttq_elementwise.h)

// bc1 = 1 - beta1^t, bc2 = 1 - beta2^t; decoupled: AdamW's weight decay, else L2 added to the gradient.
// logDomain (learned quantizer scales, Optimizer.stepInLogDomain): the same rule on theta = log p with
// gradient p * g and no weight decay, then p = exp(theta), so a small positive scale cannot walk to 0.
extern "C" __global__ void ttq_adam_update(float* __restrict__ p, const float* __restrict__ g,
                                           float* __restrict__ m, float* __restrict__ v, long n,
                                           float lr, float beta1, float beta2, float eps, float wd,
                                           int decoupled, float bc1, float bc2, int logDomain) {
    const float stepScale = lr / bc1;
    const float invSqrtBc2 = 1.0f / sqrtf(bc2);
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        float pi = p[i];
        float gi = g[i];
        if (logDomain) {
            const float positive = fmaxf(pi, FLT_MIN);
            gi *= positive;
            pi = logf(positive);
        } else if (!decoupled) {
            gi += wd * pi;
        }
        float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float upd = stepScale * mi / (sqrtf(vi) * invSqrtBc2 + eps);
        if (decoupled && !logDomain) upd += lr * wd * pi;
        pi -= upd;
        p[i] = logDomain ? expf(pi) : pi;
    }
}

// ------------------------------------------------------------------ batched GEMM for the TT chain

// C[b] = alpha * op(A[b]) op(B[b]) + beta * C[b] for b < batch; op transposes when the flag is set.
// A[b] is M x K (K x M if transA), B[b] is K x N (N x K if transB), C[b] is M x N, all row-major
// with leading dimensions lda/ldb/ldc and batch strides sa/sb/sc (elements). The TT chain is many
// products with small K (a rank) and long M: 16x16 shared tiles, one per block.
extern "C" __global__ void ttq_batched_sgemm(int transA, int transB, int M, int N, int K, float alpha,
                                             const float* __restrict__ A, int lda, long sa,
                                             const float* __restrict__ B, int ldb, long sb, float beta,
                                             float* __restrict__ C, int ldc, long sc) {
    __shared__ float ta[TTQ_TILE][TTQ_TILE + 1];
    __shared__ float tb[TTQ_TILE][TTQ_TILE + 1];
    const float* a = A + blockIdx.z * sa;
    const float* b = B + blockIdx.z * sb;
    float* c = C + blockIdx.z * sc;
    int row = blockIdx.y * TTQ_TILE + threadIdx.y;
    int col = blockIdx.x * TTQ_TILE + threadIdx.x;
    float acc = 0.f;
    for (int k0 = 0; k0 < K; k0 += TTQ_TILE) {
        int ka = k0 + threadIdx.x; // A tile: rows of this block, k along x
        ta[threadIdx.y][threadIdx.x] = (row < M && ka < K) ? (transA ? a[(long) ka * lda + row] : a[(long) row * lda + ka]) : 0.f;
        int kb = k0 + threadIdx.y; // B tile: k along y, columns of this block
        tb[threadIdx.y][threadIdx.x] = (kb < K && col < N) ? (transB ? b[(long) col * ldb + kb] : b[(long) kb * ldb + col]) : 0.f;
        __syncthreads();
#pragma unroll
        for (int k = 0; k < TTQ_TILE; k++) {
            acc += ta[threadIdx.y][k] * tb[k][threadIdx.x];
        }
        __syncthreads();
    }
    if (row < M && col < N) {
        long o = (long) row * ldc + col;
        c[o] = beta == 0.f ? alpha * acc : alpha * acc + beta * c[o];
    }
}

// ------------------------------------------------------------------ TTM embedding lookup

// out[t, :] = row ids[t] of the TTM table, contracting only the selected core slices (the table is
// never formed). cores: d cores F_k [p_{k-1}, m_k, n_k, p_k] packed one after another at
// coreOffset[k]; modes packed as rowModes[d], colModes[d], ranks[d + 1] in dims. One block per
// token; the chain lives in dynamic shared memory (two buffers of maxWork floats, sized by the
// launcher from the largest intermediate prod(n_1..n_k) * p_k).
extern "C" __global__ void ttq_ttm_gather(const float* __restrict__ cores, const long* __restrict__ coreOffset,
                                          const int* __restrict__ dims, int d, const int* __restrict__ ids,
                                          int tokens, float* __restrict__ out, int maxWork) {
    extern __shared__ float work[];
    float* cur = work;
    float* nxt = work + maxWork;
    int t = blockIdx.x;
    if (t >= tokens) {
        return;
    }
    const int* rowModes = dims;
    const int* colModes = dims + d;
    const int* ranks = dims + 2 * d;
    // row multi-index of ids[t], first mode most significant
    int idx[8];
    int rest = ids[t];
    for (int k = d - 1; k >= 0; k--) {
        idx[k] = rest % rowModes[k];
        rest /= rowModes[k];
    }
    if (threadIdx.x == 0) {
        cur[0] = 1.f;
    }
    __syncthreads();
    int width = 1; // prod(n_1..n_{k-1})
    for (int k = 0; k < d; k++) {
        int p = ranks[k], q = ranks[k + 1], m = rowModes[k], nk = colModes[k];
        const float* f = cores + coreOffset[k];
        // nxt[(w, j), q'] = sum_p cur[w, p] * F_k[p, i_k, j, q']
        int total = width * nk * q;
        for (int e = threadIdx.x; e < total; e += blockDim.x) {
            int qq = e % q;
            int j = (e / q) % nk;
            int w = e / (q * nk);
            float s = 0.f;
            for (int pp = 0; pp < p; pp++) {
                s += cur[w * p + pp] * f[(((long) pp * m + idx[k]) * nk + j) * q + qq];
            }
            nxt[e] = s;
        }
        __syncthreads();
        float* tmp = cur;
        cur = nxt;
        nxt = tmp;
        width *= nk;
    }
    for (int e = threadIdx.x; e < width; e += blockDim.x) {
        out[(long) t * width + e] = cur[e];
    }
}

// ------------------------------------------------------------------ INT8 products (dp4a)

// C[M, N] int32 = A[M, K] int8 . B[N, K]^T int8, both K-contiguous with K padded to a multiple of
// 4 (kPadded; the pad bytes are zero): the layout of the CPU path's packed operands. One thread
// per output, dp4a over 4-byte words; exact integer arithmetic, so it equals the CPU bit for bit.
extern "C" __global__ void ttq_int8_gemm(const int8_t* __restrict__ A, const int8_t* __restrict__ B,
                                         int32_t* __restrict__ C, int M, int N, int kPadded) {
    int col = blockIdx.x * TTQ_TILE + threadIdx.x;
    int row = blockIdx.y * TTQ_TILE + threadIdx.y;
    if (row >= M || col >= N) {
        return;
    }
    const int* a = reinterpret_cast<const int*>(A + (long) row * kPadded);
    const int* b = reinterpret_cast<const int*>(B + (long) col * kPadded);
    int acc = 0;
    for (int w = 0; w < kPadded / 4; w++) {
        acc = __dp4a(a[w], b[w], acc);
    }
    C[(long) row * N + col] = acc;
}

// int32 -> int8: q = clamp(rint(x * multiplier), -128, 127), the requantization between TT steps;
// the product in double, as Int8Gemm.requantize, so both give the same bytes.
extern "C" __global__ void ttq_requantize(const int32_t* __restrict__ x, int8_t* __restrict__ y, long n, float multiplier) {
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
        double v = rint((double) x[i] * (double) multiplier);
        y[i] = (int8_t) (v > 127.0 ? 127 : (v < -128.0 ? -128 : (int) v));
    }
}
