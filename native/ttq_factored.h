// The factored (rank-r bottleneck) linear layer y = [x V^T, 1] [U, b]^T fused over row blocks:
// x [rows, n], V [r, n], upT = [U, b]^T [k, m] (k = r, or r + 1 with a bias), hp = [h, 1] [rows, k].
// Each block of TTQ_FACTORED_BLOCK rows is read from memory once and then stays in L1/L2 for
// every product that needs it (forward: h then y; backward: dh, d[U, b], dx and dV), so a pass
// streams x, g, y and dx once each instead of once per GEMM. All arrays row-major and contiguous;
// the Java side (ttq.kernels.FactoredKernels) checks every extent and splits rows over threads,
// giving each thread its own accumulators for the weight gradients.
#pragma once
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

// Row strides that are a multiple of 1 KiB put the same column of many rows in one or a few L1
// sets (8 ways each), so a kernel walking a column strip down 32 rows re-reads them from L2. With
// the feed-forward layer's m = 3072 (12 KiB rows) the AVX2 weight-gradient product ran at 44
// GFLOP/s on one core; with its input block and accumulators copied to rows 16 floats longer, at
// 108 (2026-11-27, AMD EPYC, C harness). The copies cost one pass over the block.
static inline bool ttq_factored_conflicting(int width) {
    return width % 1024 == 0; // rows 4 KiB apart: every row of a column strip in the same set
}

// This thread's scratch for the padded copies, kept between calls (fresh allocations of this size
// cost page faults on every call).
static float* ttq_factored_scratch(int slot, size_t floats) {
    static thread_local float* buf[4] = {NULL, NULL, NULL, NULL};
    static thread_local size_t cap[4] = {0, 0, 0, 0};
    if (cap[slot] < floats) {
        free(buf[slot]);
        buf[slot] = (float*) aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
        cap[slot] = buf[slot] != NULL ? floats : 0;
    }
    return buf[slot];
}

// dst (rows x cols, row stride ldd) = src (row stride lds).
static inline void ttq_copy_rows(float* dst, int ldd, const float* src, int lds, int rows, int cols) {
    for (int q = 0; q < rows; q++) {
        memcpy(dst + (int64_t) q * ldd, src + (int64_t) q * lds, sizeof(float) * cols);
    }
}

// dst (rows x cols, row stride ldd) += src (row stride lds).
static inline void ttq_add_rows(float* dst, int ldd, const float* src, int lds, int rows, int cols) {
    for (int j = 0; j < rows; j++) {
        for (int q = 0; q < cols; q++) {
            dst[(int64_t) j * ldd + q] += src[(int64_t) j * lds + q];
        }
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
    // padded private copies where the strides conflict (see ttq_factored_conflicting); NULL = use in place
    const bool padM = ttq_factored_conflicting(m), padN = ttq_factored_conflicting(n);
    const int ldg = padM ? m + 16 : m, ldx = padN ? n + 16 : n;
    float* gpad = padM ? ttq_factored_scratch(0, (size_t) TTQ_FACTORED_BLOCK * ldg) : NULL;
    float* gupPad = padM && (flags & 4) ? ttq_factored_scratch(1, (size_t) k * ldg) : NULL;
    float* xpad = padN && (flags & 2) ? ttq_factored_scratch(2, (size_t) TTQ_FACTORED_BLOCK * ldx) : NULL;
    float* dvPad = padN && (flags & 2) ? ttq_factored_scratch(3, (size_t) r * ldx) : NULL;
    if ((padM && (gpad == NULL || ((flags & 4) && gupPad == NULL))) || (padN && (flags & 2) && (xpad == NULL || dvPad == NULL))) {
        gpad = gupPad = xpad = dvPad = NULL; // out of memory: the unpadded loops, slower but exact
    }
    if (gupPad != NULL) {
        memset(gupPad, 0, sizeof(float) * k * ldg);
    }
    if (dvPad != NULL) {
        memset(dvPad, 0, sizeof(float) * r * ldx);
    }
    for (int i = 0; i < rows; i += TTQ_FACTORED_BLOCK) {
        int br = rows - i < TTQ_FACTORED_BLOCK ? rows - i : TTQ_FACTORED_BLOCK;
        const float* gb = g + (int64_t) i * m;
        int lg = m;
        if (gpad != NULL) {
            ttq_copy_rows(gpad, ldg, gb, m, br, m);
            gb = gpad;
            lg = ldg;
        }
        ttq_skinny_smalln(isa, br, r, m, gb, 0, lg, upT, 0, m, dh, 0, r);
        if (flags & 4) {
            if (gupPad != NULL) {
                ttq_skinny_tn(isa, k, m, br, hp + (int64_t) i * k, 0, k, gb, 0, lg, gupPad, 0, ldg, true);
            } else {
                ttq_skinny_tn(isa, k, m, br, hp + (int64_t) i * k, 0, k, gb, 0, lg, gupAcc, 0, m, true);
            }
        }
        if (flags & 1) {
            ttq_skinny_smallk(isa, br, n, r, dh, 0, r, v, 0, n, dx + (int64_t) i * n, 0, n);
        }
        if (flags & 2) {
            const float* xb = x + (int64_t) i * n;
            if (dvPad != NULL) {
                ttq_copy_rows(xpad, ldx, xb, n, br, n);
                ttq_skinny_tn(isa, r, n, br, dh, 0, r, xpad, 0, ldx, dvPad, 0, ldx, true);
            } else {
                ttq_skinny_tn(isa, r, n, br, dh, 0, r, xb, 0, n, dvAcc, 0, n, true);
            }
        }
    }
    if (gupPad != NULL) {
        ttq_add_rows(gupAcc, m, gupPad, ldg, k, m);
    }
    if (dvPad != NULL) {
        ttq_add_rows(dvAcc, n, dvPad, ldx, r, n);
    }
}
