// The factored (rank-r bottleneck) linear layer y = [x V^T, 1] [U, b]^T fused over row blocks:
// x [rows, n], V [r, n], upT = [U, b]^T [k, m] (k = r, or r + 1 with a bias), hp = [h, 1] [rows, k].
// Each block of TTQ_FACTORED_BLOCK rows is read from memory once and then stays in L1/L2 for
// every product that needs it (forward: h then y; backward: dh, d[U, b], dx and dV), so a pass
// streams x, g, y and dx once each instead of once per GEMM. All arrays row-major and contiguous;
// the Java side (ttq.kernels.FactoredKernels) checks every extent and splits rows over threads,
// giving each thread its own accumulators for the weight gradients.
#pragma once
#include <stdint.h>
#include "ttq_skinny.h"

// 32 rows: 10% faster backward than 16 on both ISA paths (fewer read-modify-writes of the
// weight-gradient accumulators); 64 gained nothing more (2026-11-26).
#define TTQ_FACTORED_BLOCK 32
#define TTQ_FACTORED_MAX_K 32

// Rows [0, rows) of the slice: hp = [x V^T, 1], y = hp upT.
static void ttq_factored_forward(int isa, int rows, int m, int n, int r, int k, const float* x, int64_t offX,
                                 const float* v, const float* upT, float* hp, int64_t offH, float* y, int64_t offY) {
    x += offX;
    hp += offH;
    y += offY;
    for (int i = 0; i < rows; i += TTQ_FACTORED_BLOCK) {
        int br = rows - i < TTQ_FACTORED_BLOCK ? rows - i : TTQ_FACTORED_BLOCK;
        float* hb = hp + (int64_t) i * k;
        ttq_skinny_smalln(isa, br, r, n, x + (int64_t) i * n, 0, n, v, 0, n, hb, 0, k);
        for (int q = 0; k > r && q < br; q++) {
            hb[(int64_t) q * k + r] = 1.f;
        }
        ttq_skinny_smallk(isa, br, m, k, hb, 0, k, upT, 0, m, y + (int64_t) i * m, 0, m);
    }
}

// Backward over rows [0, rows) of the slice, for the output gradient g [rows, m]:
//   dh = g U (block scratch), dx = dh V (overwritten; flags & 1),
//   dV += dh^T x (flags & 2), d[U, b]^T += hp^T g (flags & 4; rows 0..r-1 dU^T, row r db).
// The accumulators dvAcc [r, n] and gupAcc [k, m] belong to the calling thread.
static void ttq_factored_backward(int isa, int flags, int rows, int m, int n, int r, int k,
                                  const float* g, int64_t offG, const float* x, int64_t offX, const float* hp, int64_t offH,
                                  const float* upT, const float* v, float* dx, int64_t offDx, float* dvAcc, float* gupAcc) {
    g += offG;
    x += offX;
    hp += offH;
    dx += offDx;
    float dh[TTQ_FACTORED_BLOCK * TTQ_FACTORED_MAX_K];
    for (int i = 0; i < rows; i += TTQ_FACTORED_BLOCK) {
        int br = rows - i < TTQ_FACTORED_BLOCK ? rows - i : TTQ_FACTORED_BLOCK;
        const float* gb = g + (int64_t) i * m;
        ttq_skinny_smalln(isa, br, r, m, gb, 0, m, upT, 0, m, dh, 0, r);
        if (flags & 4) {
            ttq_skinny_tn(isa, k, m, br, hp + (int64_t) i * k, 0, k, gb, 0, m, gupAcc, 0, m, true);
        }
        if (flags & 1) {
            ttq_skinny_smallk(isa, br, n, r, dh, 0, r, v, 0, n, dx + (int64_t) i * n, 0, n);
        }
        if (flags & 2) {
            ttq_skinny_tn(isa, r, n, br, dh, 0, r, x + (int64_t) i * n, 0, n, dvAcc, 0, n, true);
        }
    }
}
