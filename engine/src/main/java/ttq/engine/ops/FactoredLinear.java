package ttq.engine.ops;

import ttq.engine.Function;
import ttq.engine.Shape;
import ttq.engine.StepScope;
import ttq.engine.Tensor;
import ttq.kernels.Blas;
import ttq.kernels.FactoredKernels;

/**
 * A linear layer through a rank-r bottleneck, fused: y = (x V^T) U^T + b for x [B, N],
 * V [r, N], U [M, r], b [M] (optional). Six products in all (two forward, four backward) with no
 * separate bias pass: the bias rides in the second product as an extra column of U against a
 * column of ones appended to h = x V^T, and the backward product g^T [h, 1] yields dU and db
 * together. For small bonds the products run fused over row blocks ({@link FactoredKernels}:
 * one forward pass, one backward pass); larger bonds use OpenBLAS GEMMs.
 * A TT layer contracted at its middle bond is exactly this (U from the output cores, V from the
 * input cores), which is the cheapest order for large batches.
 */
public final class FactoredLinear extends Function {
    /** Bond sizes (r, +1 with a bias) up to this run on {@link FactoredKernels}; larger ones on OpenBLAS. */
    static final int SKINNY_MAX = FactoredKernels.MAX_K;
    private int b, n, m, r, k;
    private boolean hasBias;
    private float[] hp; // [B, k]: h = x V^T, then a column of ones when there is a bias
    private float[] up; // [M, k]: U, then the bias as a column; transposed to [k, M] on the skinny path

    /** x V^T U^T + bias for x [B, N], V [r, N], U [M, r], bias [M] or null. */
    public static Tensor apply(Tensor x, Tensor v, Tensor u, Tensor bias) {
        if (x.rank() != 2 || v.rank() != 2 || u.rank() != 2) {
            throw new IllegalArgumentException("factoredLinear: x [B, N], V [r, N], U [M, r] must be 2-D, got "
                    + Shape.str(x.shape()) + ", " + Shape.str(v.shape()) + ", " + Shape.str(u.shape()));
        }
        int bn = x.dim(0), nn = x.dim(1), rr = v.dim(0), mm = u.dim(0);
        if (v.dim(1) != nn || u.dim(1) != rr) {
            throw new IllegalArgumentException("factoredLinear: x " + Shape.str(x.shape()) + ", V " + Shape.str(v.shape())
                    + ", U " + Shape.str(u.shape()) + " do not chain (need V [r, N], U [M, r])");
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != mm)) {
            throw new IllegalArgumentException("factoredLinear: bias " + Shape.str(bias.shape()) + ", expected [" + mm + "]");
        }
        FactoredLinear f = new FactoredLinear();
        f.b = bn;
        f.n = nn;
        f.m = mm;
        f.r = rr;
        f.hasBias = bias != null;
        f.k = rr + (bias != null ? 1 : 0);
        int kk = f.k;
        float[] hp = new float[bn * kk];
        // the fused kernels write all of y; the OpenBLAS path gets a zeroed array (beta = 0)
        float[] y = kk <= SKINNY_MAX ? StepScope.uninitialized(bn * mm) : StepScope.zeros(bn * mm);
        float[] ud = u.data();
        if (kk <= SKINNY_MAX) {
            // fused native rows: h = x V^T, then y = [h, 1] [U, b]^T while the block is in cache
            float[] upT = new float[kk * mm];
            for (int i = 0; i < mm; i++) {
                for (int j = 0; j < rr; j++) {
                    upT[j * mm + i] = ud[i * rr + j];
                }
            }
            if (bias != null) {
                System.arraycopy(bias.data(), 0, upT, rr * mm, mm);
            }
            FactoredKernels.forward(bn, mm, nn, rr, kk, x.data(), v.data(), upT, hp, y);
            f.up = upT;
        } else {
            Blas.sgemm(false, true, bn, rr, nn, 1f, x.data(), 0, nn, v.data(), 0, nn, 0f, hp, 0, kk);
            float[] up = ud;
            if (bias != null) {
                up = new float[mm * kk];
                float[] bd = bias.data();
                for (int i = 0; i < mm; i++) {
                    System.arraycopy(ud, i * rr, up, i * kk, rr);
                    up[i * kk + rr] = bd[i];
                }
                for (int i = 0; i < bn; i++) {
                    hp[i * kk + rr] = 1f;
                }
            }
            Blas.sgemm(false, true, bn, mm, kk, 1f, hp, 0, kk, up, 0, kk, 0f, y, 0, mm);
            f.up = up;
        }
        Tensor out = Tensor.wrap(y, bn, mm);
        if (!(bias == null ? recording(x, v, u) : recording(x, v, u, bias))) {
            f.up = null;
            return out;
        }
        f.hp = hp;
        f.save(x, v);
        return bias == null ? f.attach(out, x, v, u) : f.attach(out, x, v, u, bias);
    }

    @Override
    protected void onRelease() {
        hp = null;
        up = null;
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return k <= SKINNY_MAX ? backwardSkinny(g) : backwardBlas(g);
    }

    /** The same products as {@link #backwardBlas} in one fused native pass; {@code up} holds [U, b]^T [k, M]. */
    private Tensor[] backwardSkinny(Tensor g) {
        Tensor x = saved(0), v = saved(1);
        boolean wantUp = needsGrad(2) || (hasBias && needsGrad(3));
        float[] dx = needsGrad(0) ? StepScope.uninitialized(b * n) : null; // overwritten by the kernel
        float[] dv = needsGrad(1) ? new float[r * n] : null;
        float[] gupT = wantUp ? new float[k * m] : null; // rows 0..r-1: dU^T, row r: db
        FactoredKernels.backward(b, m, n, r, k, g.data(), x.data(), hp, up, v.data(), dx, dv, gupT);
        Tensor gx = dx == null ? null : Tensor.wrap(dx, b, n);
        Tensor gv = dv == null ? null : Tensor.wrap(dv, r, n);
        Tensor gu = null, gb = null;
        if (needsGrad(2)) {
            float[] d = new float[m * r];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < r; j++) {
                    d[i * r + j] = gupT[j * m + i];
                }
            }
            gu = Tensor.wrap(d, m, r);
        }
        if (hasBias && needsGrad(3)) {
            gb = Tensor.wrap(java.util.Arrays.copyOfRange(gupT, r * m, r * m + m), m);
        }
        return hasBias ? new Tensor[] {gx, gv, gu, gb} : new Tensor[] {gx, gv, gu};
    }

    private Tensor[] backwardBlas(Tensor g) {
        Tensor x = saved(0), v = saved(1);
        float[] gd = g.data();
        // dh = g U (only the first r columns of [U, b])
        float[] gh = new float[b * r];
        Blas.sgemm(false, false, b, r, m, 1f, gd, 0, m, up, 0, k, 0f, gh, 0, r);
        Tensor gx = null, gv = null, gu = null, gb = null;
        if (needsGrad(0)) {
            float[] d = StepScope.zeros(b * n);
            Blas.sgemm(false, false, b, n, r, 1f, gh, 0, r, v.data(), 0, n, 0f, d, 0, n);
            gx = Tensor.wrap(d, b, n);
        }
        if (needsGrad(1)) {
            float[] d = new float[r * n];
            Blas.sgemm(true, false, r, n, b, 1f, gh, 0, r, x.data(), 0, n, 0f, d, 0, n);
            gv = Tensor.wrap(d, r, n);
        }
        if (needsGrad(2) || (hasBias && needsGrad(3))) {
            // [dU, db] = g^T [h, 1] in one GEMM
            float[] gup = new float[m * k];
            Blas.sgemm(true, false, m, k, b, 1f, gd, 0, m, hp, 0, k, 0f, gup, 0, k);
            if (needsGrad(2)) {
                float[] d = new float[m * r];
                for (int i = 0; i < m; i++) {
                    System.arraycopy(gup, i * k, d, i * r, r);
                }
                gu = Tensor.wrap(d, m, r);
            }
            if (hasBias && needsGrad(3)) {
                float[] d = new float[m];
                for (int i = 0; i < m; i++) {
                    d[i] = gup[i * k + r];
                }
                gb = Tensor.wrap(d, m);
            }
        }
        return hasBias ? new Tensor[] {gx, gv, gu, gb} : new Tensor[] {gx, gv, gu};
    }
}
