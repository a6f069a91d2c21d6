package ttq.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import ttq.kernels.FusedKernels;
import ttq.kernels.Int8Gemm;

/**
 * Each CUDA kernel against the CPU (our native kernels where they exist, double-precision Java
 * references otherwise) on random shapes, 20 cases each. Runs only where {@link CudaRuntime} finds
 * a GPU; elsewhere every test is skipped with the reason.
 */
@RequiresGpu
class CudaOpsDeviceTest {
    static CudaRuntime gpu;
    static CudaOps ops;

    @BeforeAll
    static void gpu() {
        gpu = CudaRuntime.get();
        ops = gpu.ops();
    }

    final Random random = new Random(42);

    float[] normal(int n, float std) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * std);
        }
        return x;
    }

    CudaBuffer put(float[] x) {
        CudaBuffer b = gpu.allocator().allocate(Math.max(1, x.length) * 4L);
        gpu.upload(x, b);
        return b;
    }

    float[] get(CudaBuffer b, int n) {
        float[] x = new float[n];
        gpu.download(b, x);
        return x;
    }

    static void close(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol * (1 + Math.abs(expected[i])),
                    what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i]);
        }
    }

    @Test
    void gelu() {
        for (int c = 0; c < 20; c++) {
            int n = 1 + random.nextInt(300_000);
            float[] x = normal(n, 3f), gy = normal(n, 1f);
            try (CudaBuffer dx = put(x); CudaBuffer dgy = put(gy); CudaBuffer dy = put(new float[n]); CudaBuffer dgx = put(new float[n])) {
                ops.geluForward(dx, dy, n);
                ops.geluBackward(dx, dgy, dgx, n);
                double[] y = new double[n], gx = new double[n];
                for (int i = 0; i < n; i++) {
                    double v = x[i], cdf = 0.5 * (1 + erf(v / Math.sqrt(2))), pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
                    y[i] = v * cdf;
                    gx[i] = gy[i] * (cdf + v * pdf);
                }
                close(y, get(dy, n), 2e-6, "gelu");
                close(gx, get(dgx, n), 2e-6, "gelu backward");
            }
        }
    }

    @Test
    void softmaxAndLayerNorm() {
        for (int c = 0; c < 20; c++) {
            int rows = 1 + random.nextInt(300), cols = 1 + random.nextInt(1500);
            int n = rows * cols;
            float[] x = normal(n, 4f), gy = normal(n, 1f), gamma = normal(cols, 1f), beta = normal(cols, 1f);
            try (CudaBuffer dx = put(x); CudaBuffer dgy = put(gy); CudaBuffer dy = put(new float[n]); CudaBuffer dgx = put(new float[n]); CudaBuffer dg = put(gamma); CudaBuffer db = put(beta); CudaBuffer mean = put(new float[rows]); CudaBuffer rstd = put(new float[rows]); CudaBuffer gg = put(new float[cols]); CudaBuffer gb = put(new float[cols])) {
                ops.softmaxForward(dx, dy, rows, cols);
                float[] y = get(dy, n);
                ops.softmaxBackward(dy, dgy, dgx, rows, cols);
                double[] ey = new double[n], egx = new double[n];
                for (int r = 0; r < rows; r++) {
                    double m = Double.NEGATIVE_INFINITY, s = 0, d = 0;
                    for (int j = 0; j < cols; j++) {
                        m = Math.max(m, x[r * cols + j]);
                    }
                    for (int j = 0; j < cols; j++) {
                        s += Math.exp(x[r * cols + j] - m);
                    }
                    for (int j = 0; j < cols; j++) {
                        ey[r * cols + j] = Math.exp(x[r * cols + j] - m) / s;
                        d += gy[r * cols + j] * (double) y[r * cols + j];
                    }
                    for (int j = 0; j < cols; j++) {
                        egx[r * cols + j] = y[r * cols + j] * (gy[r * cols + j] - d);
                    }
                }
                close(ey, y, 1e-5, "softmax");
                close(egx, get(dgx, n), 1e-5, "softmax backward");

                float eps = 1e-12f;
                ops.layerNormForward(dx, dg, db, dy, mean, rstd, rows, cols, eps);
                ops.layerNormBackward(dx, dg, mean, rstd, dgy, dgx, gg, gb, rows, cols);
                double[] ln = new double[n], lgx = new double[n], lgg = new double[cols], lgb = new double[cols];
                for (int r = 0; r < rows; r++) {
                    double mu = 0, var = 0, sg = 0, sgx = 0;
                    for (int j = 0; j < cols; j++) {
                        mu += x[r * cols + j];
                    }
                    mu /= cols;
                    for (int j = 0; j < cols; j++) {
                        var += (x[r * cols + j] - mu) * (x[r * cols + j] - mu);
                    }
                    double rs = 1 / Math.sqrt(var / cols + eps);
                    for (int j = 0; j < cols; j++) {
                        double xh = (x[r * cols + j] - mu) * rs, g = gy[r * cols + j] * (double) gamma[j];
                        ln[r * cols + j] = xh * gamma[j] + beta[j];
                        sg += g;
                        sgx += g * xh;
                        lgg[j] += gy[r * cols + j] * xh;
                        lgb[j] += gy[r * cols + j];
                    }
                    for (int j = 0; j < cols; j++) {
                        double xh = (x[r * cols + j] - mu) * rs;
                        lgx[r * cols + j] = rs * (gy[r * cols + j] * (double) gamma[j] - sg / cols - xh * sgx / cols);
                    }
                }
                close(ln, get(dy, n), 1e-4, "layer norm");
                close(lgx, get(dgx, n), 1e-3, "layer norm backward");
                close(lgg, get(gg, cols), 1e-3, "layer norm gamma grad");
                close(lgb, get(gb, cols), 1e-3, "layer norm beta grad");
            }
        }
    }

    @Test
    void learnedScaleQuantizerMatchesTheCpuRule() {
        for (int c = 0; c < 20; c++) {
            int n = 1 + random.nextInt(200_000), bits = new int[] {2, 4, 8}[c % 3];
            float scale = 0.01f + random.nextFloat();
            float[] x = normal(n, 2f), gy = normal(n, 1f);
            try (CudaBuffer dx = put(x); CudaBuffer ds = put(new float[] {scale}); CudaBuffer dy = put(new float[n]); CudaBuffer dgy = put(gy); CudaBuffer dgx = put(new float[n]); CudaBuffer dgs = put(new float[] {0.5f})) {
                ops.lsqForward(dx, ds, dy, n, bits);
                ops.lsqBackward(dx, ds, dgy, dgx, dgs, n, bits, true);
                float qn = CudaOps.qn(bits), qp = CudaOps.qp(bits);
                float[] y = new float[n], gx = new float[n];
                double gs = 0.5;
                for (int i = 0; i < n; i++) {
                    float v = x[i] / scale;
                    y[i] = scale * (float) Math.rint(Math.min(Math.max(v, qn), qp));
                    gx[i] = v < qn || v > qp ? 0f : gy[i];
                    gs += gy[i] * (v < qn ? qn : v > qp ? qp : Math.rint(v) - v);
                }
                assertArrayEquals(y, get(dy, n), "quantize forward is exact");
                assertArrayEquals(gx, get(dgx, n), "straight-through gradient is exact");
                close(new double[] {gs}, get(dgs, 1), 1e-4 * Math.sqrt(n), "scale gradient");
            }
        }
    }

    @Test
    void adamMatchesTheFusedCpuKernel() {
        for (int c = 0; c < 20; c++) {
            int n = 1 + random.nextInt(100_000);
            float[] p = normal(n, 1f), g = normal(n, 1f), m = normal(n, 0.1f), v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = Math.abs(normal(1, 0.01f)[0]);
            }
            boolean decoupled = c % 2 == 1;
            long step = 1 + c;
            try (CudaBuffer dp = put(p); CudaBuffer dg = put(g); CudaBuffer dm = put(m); CudaBuffer dv = put(v)) {
                ops.adamUpdate(dp, dg, dm, dv, n, 1e-3f, 0.9f, 0.98f, 1e-8f, 0.01f, decoupled, step);
                FusedKernels.adamUpdate(p, g, m, v, n, 1e-3f, 0.9f, 0.98f, 1e-8f, 0.01f, decoupled,
                        (float) (1 - Math.pow(0.9, step)), (float) (1 - Math.pow(0.98, step)));
                float[] gp = get(dp, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(p[i], gp[i], 1e-6f * (1 + Math.abs(p[i])), "adam param " + i);
                }
            }
        }
    }

    @Test
    void logDomainAdamMatchesTheCpuRuleOnLogOfTheParameter() {
        for (int c = 0; c < 10; c++) {
            int n = 1 + random.nextInt(1000);
            float[] p = new float[n], g = normal(n, 1f), m = normal(n, 0.1f), v = new float[n];
            for (int i = 0; i < n; i++) {
                p[i] = (float) Math.exp(normal(1, 3f)[0]); // scales from ~1e-4 to ~1e4
                v[i] = Math.abs(normal(1, 0.01f)[0]);
            }
            long step = 1 + c;
            try (CudaBuffer dp = put(p); CudaBuffer dg = put(g); CudaBuffer dm = put(m); CudaBuffer dv = put(v)) {
                ops.adamUpdateLogDomain(dp, dg, dm, dv, n, 1e-2f, 0.9f, 0.98f, 1e-8f, step);
                // the engine's Optimizer.stepInLogDomain: theta = log p, gradient p g, no weight decay, p = exp(theta)
                float[] theta = new float[n], gTheta = new float[n];
                for (int i = 0; i < n; i++) {
                    theta[i] = (float) Math.log(p[i]);
                    gTheta[i] = g[i] * p[i];
                }
                FusedKernels.adamUpdate(theta, gTheta, m, v, n, 1e-2f, 0.9f, 0.98f, 1e-8f, 0f, false,
                        (float) (1 - Math.pow(0.9, step)), (float) (1 - Math.pow(0.98, step)));
                float[] gp = get(dp, n), gm = get(dm, n);
                for (int i = 0; i < n; i++) {
                    float expected = (float) Math.exp(theta[i]);
                    assertTrue(gp[i] > 0, "log-domain step keeps the scale positive");
                    assertEquals(expected, gp[i], 1e-5f * expected, "log-domain adam param " + i);
                    assertEquals(m[i], gm[i], 1e-5f * (1e-6f + Math.abs(m[i])), "first moment " + i);
                }
            }
        }
    }

    @Test
    void batchedGemmWithTransposes() {
        for (int c = 0; c < 20; c++) {
            int m = 1 + random.nextInt(700), n = 1 + random.nextInt(70), k = random.nextInt(40), batch = 1 + random.nextInt(5);
            boolean ta = random.nextBoolean(), tb = random.nextBoolean();
            float[] a = normal(batch * m * k, 1f), b = normal(batch * k * n, 1f), cc = normal(batch * m * n, 1f);
            float alpha = 0.5f, beta = c % 2 == 0 ? 0f : 2f;
            int lda = ta ? m : k, ldb = tb ? k : n;
            try (CudaBuffer da = put(a); CudaBuffer db = put(b); CudaBuffer dc = put(cc)) {
                ops.batchedSgemm(ta, tb, m, n, k, alpha, da, Math.max(1, lda), (long) m * k, db, Math.max(1, ldb), (long) k * n, beta, dc, n,
                        (long) m * n, batch);
                double[] e = new double[batch * m * n];
                for (int q = 0; q < batch; q++) {
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int l = 0; l < k; l++) {
                                double av = ta ? a[q * m * k + l * m + i] : a[q * m * k + i * k + l];
                                double bv = tb ? b[q * k * n + j * k + l] : b[q * k * n + l * n + j];
                                s += av * bv;
                            }
                            int o = q * m * n + i * n + j;
                            e[o] = alpha * s + (beta == 0f ? 0 : beta * cc[o]);
                        }
                    }
                }
                close(e, get(dc, batch * m * n), 1e-4, "batched gemm");
            }
        }
    }

    @Test
    void int8GemmAndRequantizeAreBitExact() {
        for (int c = 0; c < 20; c++) {
            int m = 1 + random.nextInt(300), n = 1 + random.nextInt(300), k = 1 + random.nextInt(800), kp = (k + 3) / 4 * 4;
            byte[] a = new byte[m * kp], b = new byte[n * kp];
            for (int i = 0; i < m; i++) {
                for (int l = 0; l < k; l++) {
                    a[i * kp + l] = (byte) (c == 0 ? -128 : random.nextInt(256) - 128);
                }
            }
            for (int j = 0; j < n; j++) {
                for (int l = 0; l < k; l++) {
                    b[j * kp + l] = (byte) (c == 0 ? -128 : random.nextInt(256) - 128);
                }
            }
            int[] expected = new int[m * n];
            Int8Gemm.gemm(m, n, kp, a, 0, kp, b, 0, kp, expected, 0, n);
            byte[] q = new byte[m * n];
            float multiplier = 1f / (1 + random.nextInt(40000));
            Int8Gemm.requantize(expected, multiplier, q, m * n);
            try (CudaBuffer da = gpu.allocator().allocate(a.length); CudaBuffer db = gpu.allocator().allocate(b.length); CudaBuffer dc = gpu.allocator().allocate(4L * m * n); CudaBuffer dq = gpu.allocator().allocate((long) m * n)) {
                gpu.upload(a, da);
                gpu.upload(b, db);
                ops.int8Gemm(da, db, dc, m, n, kp);
                ops.requantize(dc, dq, (long) m * n, multiplier);
                int[] got = new int[m * n];
                gpu.download(dc, got);
                assertArrayEquals(expected, got, "int8 gemm");
                byte[] gq = new byte[m * n];
                gpu.download(dq, gq);
                assertArrayEquals(q, gq, "requantize");
            }
        }
    }

    @Test
    void ttmLookupEqualsTheContractedTableRows() {
        for (int c = 0; c < 20; c++) {
            int d = 2 + random.nextInt(2);
            int[] rowModes = new int[d], colModes = new int[d], ranks = new int[d + 1];
            ranks[0] = ranks[d] = 1;
            for (int k = 0; k < d; k++) {
                rowModes[k] = 2 + random.nextInt(6);
                colModes[k] = 2 + random.nextInt(8);
                if (k > 0) {
                    ranks[k] = 1 + random.nextInt(12);
                }
            }
            long[] off = CudaOps.ttmCoreOffsets(rowModes, colModes, ranks);
            float[] cores = normal((int) off[d], 0.5f);
            int rows = 1, width = 1;
            for (int k = 0; k < d; k++) {
                rows *= rowModes[k];
                width *= colModes[k];
            }
            int tokens = 1 + random.nextInt(50);
            int[] ids = new int[tokens];
            for (int t = 0; t < tokens; t++) {
                ids[t] = random.nextInt(rows);
            }
            try (CudaBuffer dc = put(cores); CudaBuffer doff = gpu.allocator().allocate(8L * d); CudaBuffer ddims = gpu.allocator().allocate(4L * (3 * d + 1)); CudaBuffer dids = gpu.allocator().allocate(4L * tokens); CudaBuffer out = put(new float[tokens * width])) {
                gpu.upload(java.util.Arrays.copyOf(off, d), doff);
                gpu.upload(CudaOps.ttmDims(rowModes, colModes, ranks), ddims);
                gpu.upload(ids, dids);
                ops.ttmGather(dc, doff, ddims, rowModes, colModes, ranks, ids, dids, out);
                double[] e = new double[tokens * width];
                for (int t = 0; t < tokens; t++) {
                    int[] idx = new int[d];
                    for (int k = d - 1, rest = ids[t]; k >= 0; k--) {
                        idx[k] = rest % rowModes[k];
                        rest /= rowModes[k];
                    }
                    double[] cur = {1};
                    int w = 1;
                    for (int k = 0; k < d; k++) {
                        int p = ranks[k], q = ranks[k + 1], nk = colModes[k], mk = rowModes[k];
                        double[] nx = new double[w * nk * q];
                        for (int a = 0; a < w; a++) {
                            for (int pp = 0; pp < p; pp++) {
                                for (int j = 0; j < nk; j++) {
                                    for (int qq = 0; qq < q; qq++) {
                                        nx[(a * nk + j) * q + qq] += cur[a * p + pp] * cores[(int) (off[k] + ((pp * mk + idx[k]) * nk + j) * q + qq)];
                                    }
                                }
                            }
                        }
                        cur = nx;
                        w *= nk;
                    }
                    System.arraycopy(cur, 0, e, t * width, width);
                }
                close(e, get(out, tokens * width), 1e-5, "ttm lookup");
            }
        }
    }

    /** erf to double precision (Abramowitz-Stegun 7.1.26 is too coarse for a reference): series / continued fraction via erfc. */
    static double erf(double x) {
        double t = 1.0 / (1.0 + 0.5 * Math.abs(x));
        double y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? y : -y;
    }
}
