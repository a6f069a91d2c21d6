package ttq.engine.grad;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import ttq.engine.Ops;
import ttq.engine.Shape;
import ttq.engine.Tensor;
import ttq.engine.check.DoubleTensor;
import ttq.engine.check.GradCheck;
import ttq.engine.ops.Add;
import ttq.engine.ops.Affine;
import ttq.engine.ops.AttentionContext;
import ttq.engine.ops.AttentionScores;
import ttq.engine.ops.Concat;
import ttq.engine.ops.CrossEntropy;
import ttq.engine.ops.Div;
import ttq.engine.ops.Exp;
import ttq.engine.ops.Expand;
import ttq.engine.ops.FusedLayerNorm;
import ttq.engine.ops.Gelu;
import ttq.engine.ops.IndexSelect;
import ttq.engine.ops.Log;
import ttq.engine.ops.LogSoftmax;
import ttq.engine.ops.MaskedFill;
import ttq.engine.ops.Matmul;
import ttq.engine.ops.Max;
import ttq.engine.ops.Mul;
import ttq.engine.ops.Normalize;
import ttq.engine.ops.Permute;
import ttq.engine.ops.Pow;
import ttq.engine.ops.Relu;
import ttq.engine.ops.Reshape;
import ttq.engine.ops.ScatterAdd;
import ttq.engine.ops.Sigmoid;
import ttq.engine.ops.Slice;
import ttq.engine.ops.Softmax;
import ttq.engine.ops.Sqrt;
import ttq.engine.ops.Sub;
import ttq.engine.ops.Sum;
import ttq.engine.ops.Tanh;

/**
 * One property per differentiable op: random shapes (broadcasting, size-1 axes, empty tensors
 * where legal) and values; forward against a double reference and backward against central
 * finite differences of that reference (see {@link GradCheck}).
 */
class OpGradientProperties {
    private static final int TRIES = 25;

    private static DoubleTensor[] in(DoubleTensor... xs) {
        return xs;
    }

    @Provide
    Arbitrary<int[][]> pair() {
        return Gen.broadcastPair(4);
    }

    @Provide
    Arbitrary<int[]> anyShape() {
        return Gen.shape(0, 4, 0, 4);
    }

    @Provide
    Arbitrary<int[]> nonEmpty() {
        return Gen.shape(1, 4, 1, 4);
    }

    // ---------------------------------------------------------------- binary, broadcasting

    @Property(tries = TRIES)
    @GradientCheckOf(Add.class)
    void add(@ForAll("pair") int[][] s, @ForAll long seed) {
        Random r = new Random(seed);
        GradCheck.check("add", in(Gen.normal(r, s[0]), Gen.normal(r, s[1])), x -> x[0].add(x[1]),
                x -> Ref.binary(x[0], x[1], Double::sum), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Sub.class)
    void sub(@ForAll("pair") int[][] s, @ForAll long seed) {
        Random r = new Random(seed);
        GradCheck.check("sub", in(Gen.normal(r, s[0]), Gen.normal(r, s[1])), x -> x[0].sub(x[1]),
                x -> Ref.binary(x[0], x[1], (a, b) -> a - b), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Mul.class)
    void mul(@ForAll("pair") int[][] s, @ForAll long seed) {
        Random r = new Random(seed);
        GradCheck.check("mul", in(Gen.normal(r, s[0]), Gen.normal(r, s[1])), x -> x[0].mul(x[1]),
                x -> Ref.binary(x[0], x[1], (a, b) -> a * b), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Div.class)
    void div(@ForAll("pair") int[][] s, @ForAll long seed) {
        Random r = new Random(seed);
        GradCheck.check("div", in(Gen.normal(r, s[0]), Gen.values(r, s[1], 0.5, 2, true)), x -> x[0].div(x[1]),
                x -> Ref.binary(x[0], x[1], (a, b) -> a / b), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Affine.class)
    void scalarArithmetic(@ForAll("anyShape") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        float c = (float) (r.nextGaussian() * 2);
        float d = (float) (r.nextGaussian() * 2);
        GradCheck.check("affine", in(Gen.normal(r, s)), x -> x[0].mul(c).add(d).sub(1.5f).div(2f),
                x -> Ref.map(x[0], v -> ((v * c + d) - 1.5) / 2), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Affine.class)
    void neg(@ForAll("anyShape") int[] s, @ForAll long seed) {
        GradCheck.check("neg", in(Gen.normal(new Random(seed), s)), x -> x[0].neg(), x -> Ref.map(x[0], v -> -v), seed);
    }

    // ---------------------------------------------------------------- unary

    @Property(tries = TRIES)
    @GradientCheckOf(Exp.class)
    void exp(@ForAll("anyShape") int[] s, @ForAll long seed) {
        GradCheck.check("exp", in(Gen.values(new Random(seed), s, 0, 3, true)), x -> x[0].exp(), x -> Ref.map(x[0], Math::exp), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Log.class)
    void log(@ForAll("anyShape") int[] s, @ForAll long seed) {
        GradCheck.check("log", in(Gen.values(new Random(seed), s, 0.2, 5, false)), x -> x[0].log(), x -> Ref.map(x[0], Math::log), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Sqrt.class)
    void sqrt(@ForAll("anyShape") int[] s, @ForAll long seed) {
        GradCheck.check("sqrt", in(Gen.values(new Random(seed), s, 0.2, 5, false)), x -> x[0].sqrt(), x -> Ref.map(x[0], Math::sqrt), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Pow.class)
    void pow(@ForAll("anyShape") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        float[] exponents = {2f, 3f, 0.5f, -1.5f, 1.25f};
        float p = exponents[r.nextInt(exponents.length)];
        GradCheck.check("pow", in(Gen.values(r, s, 0.3, 2, false)), x -> x[0].pow(p), x -> Ref.map(x[0], v -> Math.pow(v, p)), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Tanh.class)
    void tanh(@ForAll("anyShape") int[] s, @ForAll long seed) {
        GradCheck.check("tanh", in(Gen.values(new Random(seed), s, 0, 3, true)), x -> x[0].tanh(), x -> Ref.map(x[0], Math::tanh), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Sigmoid.class)
    void sigmoid(@ForAll("anyShape") int[] s, @ForAll long seed) {
        GradCheck.check("sigmoid", in(Gen.values(new Random(seed), s, 0, 5, true)), x -> x[0].sigmoid(),
                x -> Ref.map(x[0], v -> 1 / (1 + Math.exp(-v))), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Relu.class)
    void relu(@ForAll("anyShape") int[] s, @ForAll long seed) {
        // values kept away from the kink at 0, where the derivative is not defined
        GradCheck.check("relu", in(Gen.values(new Random(seed), s, 0.05, 3, true)), x -> x[0].relu(),
                x -> Ref.map(x[0], v -> Math.max(v, 0)), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Gelu.class)
    void gelu(@ForAll("anyShape") int[] s, @ForAll long seed) {
        GradCheck.check("gelu", in(Gen.values(new Random(seed), s, 0, 4, true)), x -> x[0].gelu(), x -> Ref.map(x[0], Ref::gelu), seed);
    }

    // ---------------------------------------------------------------- reductions

    @Property(tries = TRIES)
    @GradientCheckOf(Sum.class)
    void sum(@ForAll("anyShape") int[] s, @ForAll boolean keepDim, @ForAll long seed) {
        Random r = new Random(seed);
        int[] axes = Gen.axes(r, s.length);
        GradCheck.check("sum" + Arrays.toString(axes), in(Gen.normal(r, s)), x -> x[0].sum(keepDim, axes),
                x -> Ref.sum(x[0], axes, keepDim), seed);
    }

    @Property(tries = TRIES)
    void mean(@ForAll("nonEmpty") int[] s, @ForAll boolean keepDim, @ForAll long seed) {
        Random r = new Random(seed);
        int[] axes = Gen.axes(r, s.length);
        int[] ax = Shape.axes("mean", axes, s.length);
        int count = 1;
        for (int a : ax) {
            count *= s[a];
        }
        int n = count;
        GradCheck.check("mean", in(Gen.normal(r, s)), x -> x[0].mean(keepDim, axes),
                x -> Ref.map(Ref.sum(x[0], axes, keepDim), v -> v / n), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Max.class)
    void max(@ForAll("nonEmpty") int[] s, @ForAll boolean keepDim, @ForAll long seed) {
        Random r = new Random(seed);
        int[] axes = Gen.axes(r, s.length);
        GradCheck.check("max", in(Gen.normal(r, s)), x -> x[0].max(keepDim, axes), x -> Ref.max(x[0], axes, keepDim), seed);
    }

    // ---------------------------------------------------------------- layout

    @Property(tries = TRIES)
    @GradientCheckOf(Reshape.class)
    void reshape(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        int n = Shape.numel(s);
        int[] target = r.nextBoolean() ? new int[] {n} : new int[] {-1, s[s.length - 1]};
        int[] resolved = target.length == 1 ? target : new int[] {n / s[s.length - 1], s[s.length - 1]};
        // the product feeds a second op so the reshaped view takes part in a longer chain
        GradCheck.check("reshape", in(Gen.normal(r, s)), x -> x[0].reshape(target).mul(2f),
                x -> Ref.map(new DoubleTensor(x[0].v, resolved), v -> 2 * v), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Permute.class)
    void permute(@ForAll("anyShape") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        int[] perm = Gen.permutation(r, s.length);
        GradCheck.check("permute", in(Gen.normal(r, s)), x -> x[0].permute(perm), x -> Ref.permute(x[0], perm), seed);
    }

    @Property(tries = TRIES)
    void transpose(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        int a = r.nextInt(s.length), b = r.nextInt(s.length);
        int[] perm = Gen.permutation(r, 0);
        perm = new int[s.length];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        perm[a] = b;
        perm[b] = a;
        int[] p = perm;
        GradCheck.check("transpose", in(Gen.normal(r, s)), x -> x[0].transpose(a, b), x -> Ref.permute(x[0], p), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Slice.class)
    void slice(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        int axis = r.nextInt(s.length);
        int from = r.nextInt(s[axis] + 1);
        int to = from + r.nextInt(s[axis] - from + 1);
        GradCheck.check("slice", in(Gen.normal(r, s)), x -> x[0].slice(axis, from, to), x -> Ref.slice(x[0], axis, from, to), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Concat.class)
    void concat(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        int axis = r.nextInt(s.length);
        int[] s2 = s.clone();
        s2[axis] = r.nextInt(4);
        int[] s3 = s.clone();
        s3[axis] = 1 + r.nextInt(3);
        GradCheck.check("concat", in(Gen.normal(r, s), Gen.normal(r, s2), Gen.normal(r, s3)),
                x -> Ops.concat(axis, x[0], x[1], x[2]), x -> Ref.concat(axis, x[0], x[1], x[2]), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(IndexSelect.class)
    void indexSelect(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        int axis = r.nextInt(s.length);
        int[] index = new int[r.nextInt(6)];
        for (int i = 0; i < index.length; i++) {
            index[i] = r.nextInt(s[axis]); // repeats on purpose: gradients must add up
        }
        GradCheck.check("indexSelect", in(Gen.normal(r, s)), x -> Ops.indexSelect(x[0], axis, index),
                x -> Ref.indexSelect(x[0], axis, index), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(ScatterAdd.class)
    void scatterAdd(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        int axis = r.nextInt(s.length);
        int[] index = new int[r.nextInt(5)];
        for (int i = 0; i < index.length; i++) {
            index[i] = r.nextInt(s[axis]);
        }
        int[] srcShape = s.clone();
        srcShape[axis] = index.length;
        GradCheck.check("scatterAdd", in(Gen.normal(r, s), Gen.normal(r, srcShape)),
                x -> Ops.scatterAdd(x[0], axis, index, x[1]), x -> Ref.scatterAdd(x[0], axis, index, x[1]), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Expand.class)
    void expand(@ForAll("pair") int[][] s, @ForAll long seed) {
        int[] target = Shape.broadcast("t", s[0], s[1]);
        GradCheck.check("expand", in(Gen.normal(new Random(seed), s[0])), x -> x[0].expand(target),
                x -> Ref.expand(x[0], target), seed);
    }

    @Property(tries = TRIES)
    void sumTo(@ForAll("pair") int[][] s, @ForAll long seed) {
        int[] big = Shape.broadcast("t", s[0], s[1]);
        int[] small = s[0];
        GradCheck.check("sumTo", in(Gen.normal(new Random(seed), big)), x -> x[0].sumTo(small),
                x -> sumToRef(x[0], small), seed);
    }

    private static DoubleTensor sumToRef(DoubleTensor x, int[] small) {
        DoubleTensor out = DoubleTensor.zeros(small);
        for (int i = 0; i < x.numel(); i++) {
            int[] idx = Ref.unravel(i, x.shape);
            int lead = idx.length - small.length;
            int[] o = new int[small.length];
            for (int d = 0; d < small.length; d++) {
                o[d] = small[d] == 1 ? 0 : idx[d + lead];
            }
            out.v[Ref.ravel(o, small)] += x.v[i];
        }
        return out;
    }

    // ---------------------------------------------------------------- products

    @Property(tries = TRIES)
    @GradientCheckOf(Matmul.class)
    void matmul(@ForAll long seed) {
        Random r = new Random(seed);
        int m = r.nextInt(5), k = 1 + r.nextInt(5), n = 1 + r.nextInt(5);
        GradCheck.check("matmul", in(Gen.normal(r, m, k), Gen.normal(r, k, n)), x -> x[0].matmul(x[1]),
                x -> Ref.matmul(x[0], x[1]), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Matmul.class)
    void batchedMatmulBroadcast(@ForAll("pair") int[][] batch, @ForAll long seed) {
        Random r = new Random(seed);
        int m = 1 + r.nextInt(4), k = 1 + r.nextInt(4), n = 1 + r.nextInt(4);
        int[] sa = Arrays.copyOf(batch[0], batch[0].length + 2);
        sa[sa.length - 2] = m;
        sa[sa.length - 1] = k;
        int[] sb = Arrays.copyOf(batch[1], batch[1].length + 2);
        sb[sb.length - 2] = k;
        sb[sb.length - 1] = n;
        GradCheck.check("batched matmul", in(Gen.normal(r, sa), Gen.normal(r, sb)), x -> x[0].matmul(x[1]),
                x -> Ref.matmul(x[0], x[1]), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Matmul.class)
    void matmulTransposeFlags(@ForAll("pair") int[][] batch, @ForAll boolean tA, @ForAll boolean tB, @ForAll long seed) {
        Random r = new Random(seed);
        int m = 1 + r.nextInt(4), k = 1 + r.nextInt(4), n = 1 + r.nextInt(4);
        int[] sa = Arrays.copyOf(batch[0], batch[0].length + 2);
        sa[sa.length - 2] = tA ? k : m;
        sa[sa.length - 1] = tA ? m : k;
        int[] sb = Arrays.copyOf(batch[1], batch[1].length + 2);
        sb[sb.length - 2] = tB ? n : k;
        sb[sb.length - 1] = tB ? k : n;
        GradCheck.check("matmul(" + tA + "," + tB + ")", in(Gen.normal(r, sa), Gen.normal(r, sb)),
                x -> Ops.matmul(x[0], tA, x[1], tB),
                x -> Ref.matmul(tA ? lastTwoSwapped(x[0]) : x[0], tB ? lastTwoSwapped(x[1]) : x[1]), seed);
    }

    private static DoubleTensor lastTwoSwapped(DoubleTensor t) {
        int[] perm = new int[t.rank()];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        perm[perm.length - 2] = perm.length - 1;
        perm[perm.length - 1] = perm.length - 2;
        return Ref.permute(t, perm);
    }

    @Property(tries = 60)
    void contractAnyAxes(@ForAll long seed) {
        // random ranks and random choice/order of contracted axes: exercises every memory layout of contract
        Random r = new Random(seed);
        int ra = 1 + r.nextInt(4), rb = 1 + r.nextInt(4);
        int c = r.nextInt(Math.min(ra, rb) + 1);
        int[] pa = Gen.permutation(r, ra), pb = Gen.permutation(r, rb);
        int[] sa = new int[ra], sb = new int[rb];
        for (int i = 0; i < ra; i++) {
            sa[i] = 1 + r.nextInt(3);
        }
        for (int i = 0; i < rb; i++) {
            sb[i] = 1 + r.nextInt(3);
        }
        int[] axesA = Arrays.copyOf(pa, c), axesB = Arrays.copyOf(pb, c);
        for (int i = 0; i < c; i++) {
            sb[axesB[i]] = sa[axesA[i]];
        }
        GradCheck.check("contract", in(Gen.normal(r, sa), Gen.normal(r, sb)), x -> Ops.contract(x[0], x[1], axesA, axesB),
                x -> tensordotRef(x[0], x[1], axesA, axesB), seed);
    }

    /** Direct tensordot: free axes of a, then free axes of b, summing over the paired axes. */
    private static DoubleTensor tensordotRef(DoubleTensor a, DoubleTensor b, int[] axesA, int[] axesB) {
        boolean[] ca = new boolean[a.rank()], cb = new boolean[b.rank()];
        for (int i = 0; i < axesA.length; i++) {
            ca[axesA[i]] = true;
            cb[axesB[i]] = true;
        }
        java.util.List<Integer> fa = new java.util.ArrayList<>(), fb = new java.util.ArrayList<>();
        for (int i = 0; i < a.rank(); i++) {
            if (!ca[i]) {
                fa.add(i);
            }
        }
        for (int i = 0; i < b.rank(); i++) {
            if (!cb[i]) {
                fb.add(i);
            }
        }
        int[] shape = new int[fa.size() + fb.size()];
        for (int i = 0; i < fa.size(); i++) {
            shape[i] = a.shape[fa.get(i)];
        }
        for (int i = 0; i < fb.size(); i++) {
            shape[fa.size() + i] = b.shape[fb.get(i)];
        }
        int[] kShape = new int[axesA.length];
        for (int i = 0; i < axesA.length; i++) {
            kShape[i] = a.shape[axesA[i]];
        }
        DoubleTensor out = DoubleTensor.zeros(shape);
        int kn = Shape.numel(kShape);
        for (int o = 0; o < out.numel(); o++) {
            int[] idx = Ref.unravel(o, shape);
            double s = 0;
            for (int q = 0; q < kn; q++) {
                int[] kidx = Ref.unravel(q, kShape);
                int[] ia = new int[a.rank()], ib = new int[b.rank()];
                for (int i = 0; i < fa.size(); i++) {
                    ia[fa.get(i)] = idx[i];
                }
                for (int i = 0; i < fb.size(); i++) {
                    ib[fb.get(i)] = idx[fa.size() + i];
                }
                for (int i = 0; i < axesA.length; i++) {
                    ia[axesA[i]] = kidx[i];
                    ib[axesB[i]] = kidx[i];
                }
                s += a.v[Ref.ravel(ia, a.shape)] * b.v[Ref.ravel(ib, b.shape)];
            }
            out.v[o] = s;
        }
        return out;
    }

    @Property(tries = TRIES)
    void contract(@ForAll long seed) {
        Random r = new Random(seed);
        // a: [p, q, r], b: [r', q', s] with a's (q, r) contracted against b's (q', r') in a random order
        int p = 1 + r.nextInt(3), q = 1 + r.nextInt(3), rr = 1 + r.nextInt(3), s = 1 + r.nextInt(3);
        boolean swap = r.nextBoolean();
        int[] axesA = swap ? new int[] {2, 1} : new int[] {1, 2};
        int[] axesB = swap ? new int[] {0, 1} : new int[] {1, 0};
        GradCheck.check("contract", in(Gen.normal(r, p, q, rr), Gen.normal(r, rr, q, s)),
                x -> Ops.contract(x[0], x[1], axesA, axesB), x -> contractRef(x[0], x[1]), seed);
    }

    private static DoubleTensor contractRef(DoubleTensor a, DoubleTensor b) {
        int p = a.shape[0], q = a.shape[1], rr = a.shape[2], s = b.shape[2];
        DoubleTensor out = DoubleTensor.zeros(p, s);
        for (int i = 0; i < p; i++) {
            for (int l = 0; l < s; l++) {
                double acc = 0;
                for (int j = 0; j < q; j++) {
                    for (int k = 0; k < rr; k++) {
                        acc += a.v[(i * q + j) * rr + k] * b.v[(k * q + j) * s + l];
                    }
                }
                out.v[i * s + l] = acc;
            }
        }
        return out;
    }

    @Property(tries = TRIES)
    @GradientCheckOf(ttq.engine.ops.FactoredLinear.class)
    void factoredLinear(@ForAll boolean withBias, @ForAll long seed) {
        Random r = new Random(seed);
        // ranks past FactoredLinear.SKINNY_MAX take the OpenBLAS path; outputs past 16 the vector loops
        int b = r.nextInt(5), n = 1 + r.nextInt(5), rank = r.nextInt(4) == 0 ? 32 + r.nextInt(2) : 1 + r.nextInt(4);
        int m = 1 + r.nextInt(r.nextBoolean() ? 5 : 40);
        DoubleTensor[] inputs = withBias ? in(Gen.normal(r, b, n), Gen.normal(r, rank, n), Gen.normal(r, m, rank), Gen.normal(r, m))
                : in(Gen.normal(r, b, n), Gen.normal(r, rank, n), Gen.normal(r, m, rank));
        GradCheck.check("factoredLinear", inputs, x -> Ops.factoredLinear(x[0], x[1], x[2], withBias ? x[3] : null),
                x -> {
                    DoubleTensor h = Ref.matmul(x[0], Ref.permute(x[1], new int[] {1, 0}));
                    DoubleTensor y = Ref.matmul(h, Ref.permute(x[2], new int[] {1, 0}));
                    return withBias ? Ref.binary(y, x[3], Double::sum) : y;
                }, seed);
    }

    @Property(tries = TRIES)
    void linear(@ForAll long seed) {
        Random r = new Random(seed);
        int b = 1 + r.nextInt(3), t = 1 + r.nextInt(3), in = 1 + r.nextInt(4), out = 1 + r.nextInt(4);
        GradCheck.check("linear", in(Gen.normal(r, b, t, in), Gen.normal(r, in, out), Gen.normal(r, out)),
                x -> Ops.linear(x[0], x[1], x[2]), x -> Ref.binary(Ref.matmul(x[0], x[1]), x[2], Double::sum), seed);
    }

    // ---------------------------------------------------------------- normalization and losses

    @Property(tries = TRIES)
    @GradientCheckOf(Softmax.class)
    void softmax(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        GradCheck.check("softmax", in(Gen.values(new Random(seed), s, 0, 3, true)), x -> x[0].softmax(-1),
                x -> Ref.softmax(x[0], false), seed);
    }

    @Property(tries = TRIES)
    void softmaxOtherAxis(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        int axis = r.nextInt(s.length);
        int[] perm = new int[s.length];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        perm[axis] = s.length - 1;
        perm[s.length - 1] = axis;
        GradCheck.check("softmax(axis " + axis + ")", in(Gen.normal(r, s)), x -> x[0].softmax(axis),
                x -> Ref.permute(Ref.softmax(Ref.permute(x[0], perm), false), perm), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(LogSoftmax.class)
    void logSoftmax(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        GradCheck.check("logSoftmax", in(Gen.values(new Random(seed), s, 0, 3, true)), x -> x[0].logSoftmax(-1),
                x -> Ref.softmax(x[0], true), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(FusedLayerNorm.class)
    void layerNorm(@ForAll long seed) {
        Random r = new Random(seed);
        int rows = 1 + r.nextInt(4), n = 2 + r.nextInt(6);
        GradCheck.check("layerNorm", in(Gen.normal(r, rows, n), Gen.normal(r, n), Gen.normal(r, n)),
                x -> Ops.layerNorm(x[0], x[1], x[2], 1e-5f),
                x -> Ref.binary(Ref.binary(Ref.normalize(x[0], 1e-5), x[1], (a, b) -> a * b), x[2], Double::sum), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(FusedLayerNorm.class)
    void addLayerNorm(@ForAll long seed) {
        Random r = new Random(seed);
        // widths past 8 and 32 reach the vector bodies and their tails; more than 32 rows, two row blocks
        int rows = 1 + r.nextInt(40), n = 2 + r.nextInt(40);
        GradCheck.check("addLayerNorm", in(Gen.normal(r, rows, n), Gen.normal(r, rows, n), Gen.normal(r, n), Gen.normal(r, n)),
                x -> Ops.addLayerNorm(x[0], x[1], x[2], x[3], 1e-5f),
                x -> Ref.binary(Ref.binary(Ref.normalize(Ref.binary(x[0], x[1], Double::sum), 1e-5), x[2], (a, b) -> a * b), x[3],
                        Double::sum), seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(Normalize.class)
    void normalize(@ForAll long seed) {
        Random r = new Random(seed);
        int rows = 1 + r.nextInt(4), n = 2 + r.nextInt(6);
        GradCheck.check("normalize", in(Gen.normal(r, rows, n)), x -> Ops.layerNorm(x[0], null, null, 1e-5f),
                x -> Ref.normalize(x[0], 1e-5), seed);
    }

    /** Head widths that reach each path of the attention kernels: scalar tails, one vector, 64-column blocks. */
    private static final int[] HEAD_WIDTHS = {1, 3, 8, 9, 17, 64, 67};

    @Property(tries = TRIES)
    @GradientCheckOf(AttentionScores.class)
    void attentionScores(@ForAll long seed) {
        Random r = new Random(seed);
        int b = 1 + r.nextInt(2), l = 1 + r.nextInt(5), h = 1 + r.nextInt(2), dh = HEAD_WIDTHS[r.nextInt(HEAD_WIDTHS.length)];
        float scale = 0.2f + r.nextFloat();
        float[] mask = new float[b * l];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = r.nextInt(4) == 0 ? 1f : 0f;
        }
        Tensor m = r.nextBoolean() ? Tensor.wrap(mask, b, 1, 1, l) : null;
        GradCheck.check("attentionScores", in(Gen.normal(r, b, l, h * dh), Gen.normal(r, b, l, h * dh)),
                x -> Ops.attentionScores(x[0], x[1], m, h, scale),
                x -> {
                    DoubleTensor p = DoubleTensor.zeros(b, h, l, l);
                    double[] row = new double[l];
                    for (int bi = 0; bi < b; bi++) {
                        for (int hi = 0; hi < h; hi++) {
                            for (int i = 0; i < l; i++) {
                                double max = Double.NEGATIVE_INFINITY, sum = 0;
                                for (int j = 0; j < l; j++) {
                                    double s = 0;
                                    for (int c = 0; c < dh; c++) {
                                        s += x[0].v[(bi * l + i) * h * dh + hi * dh + c] * x[1].v[(bi * l + j) * h * dh + hi * dh + c];
                                    }
                                    row[j] = m != null && mask[bi * l + j] != 0f ? -1e9 : scale * s;
                                    max = Math.max(max, row[j]);
                                }
                                for (int j = 0; j < l; j++) {
                                    sum += Math.exp(row[j] - max);
                                }
                                for (int j = 0; j < l; j++) {
                                    p.v[((bi * h + hi) * l + i) * l + j] = Math.exp(row[j] - max) / sum;
                                }
                            }
                        }
                    }
                    return p;
                }, seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(AttentionContext.class)
    void attentionContext(@ForAll long seed) {
        Random r = new Random(seed);
        int b = 1 + r.nextInt(2), l = 1 + r.nextInt(5), h = 1 + r.nextInt(2), dh = HEAD_WIDTHS[r.nextInt(HEAD_WIDTHS.length)];
        GradCheck.check("attentionContext", in(Gen.normal(r, b, h, l, l), Gen.normal(r, b, l, h * dh)),
                x -> Ops.attentionContext(x[0], x[1], h),
                x -> {
                    DoubleTensor out = DoubleTensor.zeros(b, l, h * dh);
                    for (int bi = 0; bi < b; bi++) {
                        for (int hi = 0; hi < h; hi++) {
                            for (int i = 0; i < l; i++) {
                                for (int c = 0; c < dh; c++) {
                                    double s = 0;
                                    for (int j = 0; j < l; j++) {
                                        s += x[0].v[((bi * h + hi) * l + i) * l + j] * x[1].v[(bi * l + j) * h * dh + hi * dh + c];
                                    }
                                    out.v[(bi * l + i) * h * dh + hi * dh + c] = s;
                                }
                            }
                        }
                    }
                    return out;
                }, seed);
    }

    @Property(tries = TRIES)
    void dropout(@ForAll("anyShape") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        float p = r.nextFloat() * 0.8f;
        long maskSeed = r.nextLong();
        GradCheck.check("dropout", in(Gen.normal(r, s)), x -> Ops.dropout(x[0], p, true, new Random(maskSeed)),
                x -> {
                    // the engine's mask: per chunk of 2^14 elements a SplittableRandom seeded by the caller's
                    // generator in order, two 24-bit uniforms per nextLong (high bits first)
                    Random m = new Random(maskSeed);
                    double keep = 1f / (1f - p);
                    int n = x[0].numel();
                    float[] u = new float[n];
                    int chunk = 1 << 14;
                    long[] seeds = new long[(n + chunk - 1) / chunk];
                    for (int c = 0; c < seeds.length; c++) {
                        seeds[c] = m.nextLong();
                    }
                    for (int c = 0; c < seeds.length; c++) {
                        java.util.SplittableRandom sr = new java.util.SplittableRandom(seeds[c]);
                        for (int i = c * chunk; i < Math.min(n, (c + 1) * chunk); i += 2) {
                            long bits = sr.nextLong();
                            u[i] = (bits >>> 40) * 0x1.0p-24f;
                            if (i + 1 < Math.min(n, (c + 1) * chunk)) {
                                u[i + 1] = ((bits >>> 16) & 0xFFFFFF) * 0x1.0p-24f;
                            }
                        }
                    }
                    int[] at = {0};
                    return Ref.map(x[0], v -> u[at[0]++] >= p ? v * keep : 0);
                }, seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(CrossEntropy.class)
    void crossEntropy(@ForAll long seed) {
        Random r = new Random(seed);
        int n = 1 + r.nextInt(6), c = 1 + r.nextInt(5);
        int ignore = -100;
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            targets[i] = r.nextInt(4) == 0 ? ignore : r.nextInt(c);
        }
        GradCheck.check("crossEntropy", in(Gen.values(r, new int[] {n, c}, 0, 3, true)),
                x -> Ops.crossEntropy(x[0], targets, ignore), x -> Ref.crossEntropy(x[0], targets, ignore), seed);
    }

    @Property(tries = TRIES)
    void mse(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        GradCheck.check("mse", in(Gen.normal(r, s), Gen.normal(r, s)), x -> Ops.mse(x[0], x[1]),
                x -> {
                    double acc = 0;
                    for (int i = 0; i < x[0].numel(); i++) {
                        acc += Math.pow(x[0].v[i] - x[1].v[i], 2);
                    }
                    return new DoubleTensor(new double[] {acc / x[0].numel()});
                }, seed);
    }

    @Property(tries = TRIES)
    void cosineSimilarity(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        int axis = r.nextInt(s.length);
        float eps = 1e-8f;
        // magnitudes kept off zero: cosine similarity is ill-conditioned for near-zero vectors
        GradCheck.check("cosineSimilarity", in(Gen.values(r, s, 0.5, 2, true), Gen.values(r, s, 0.5, 2, true)),
                x -> Ops.cosineSimilarity(x[0], x[1], axis, eps),
                x -> {
                    DoubleTensor dot = Ref.sum(Ref.binary(x[0], x[1], (a, b) -> a * b), new int[] {axis}, false);
                    DoubleTensor na = Ref.sum(Ref.map(x[0], v -> v * v), new int[] {axis}, false);
                    DoubleTensor nb = Ref.sum(Ref.map(x[1], v -> v * v), new int[] {axis}, false);
                    DoubleTensor den = Ref.map(Ref.binary(na, nb, (a, b) -> a * b), v -> Math.sqrt(v + (double) (eps * eps)));
                    return Ref.binary(dot, den, (a, b) -> a / b);
                }, seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(MaskedFill.class)
    void maskedFill(@ForAll("pair") int[][] s, @ForAll long seed) {
        Random r = new Random(seed);
        int[] shape = Shape.broadcast("t", s[0], s[1]);
        // the mask may have fewer dims or size-1 dims: it broadcasts to the input, as attention masks do
        double[] m = new double[Shape.numel(s[1])];
        for (int i = 0; i < m.length; i++) {
            m[i] = r.nextBoolean() ? 1 : 0;
        }
        DoubleTensor mask = new DoubleTensor(m, s[1]);
        int[] maskShape = s[1];
        int[] maskBroadcastable = Shape.broadcast("t", maskShape, shape);
        GradCheck.check("maskedFill", in(Gen.normal(r, shape)), x -> x[0].maskedFill(mask.toTensor(), -7f),
                x -> Ref.maskedFill(x[0], mask, -7), seed);
        if (!Arrays.equals(maskBroadcastable, shape)) {
            throw new AssertionError("generator produced a mask that does not broadcast");
        }
    }

    // ---------------------------------------------------------------- quantizers (straight-through)
    //
    // A straight-through gradient is the exact derivative of a surrogate that freezes the rounding
    // residual at the evaluation point: Q(x, s) = s * (clip(x/s) + c), c = rint(clip(x0/s0)) - clip(x0/s0).
    // Its derivatives are eqs. (1) and (2) of the paper, so central differences of the surrogate
    // check the engine's backward. Values keep 0.01 away from the clip kinks and from half-integers.

    private static DoubleTensor quantizable(Random r, int[] shape, double scale, int lo, int hi) {
        double[] v = new double[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            double u;
            do {
                u = (lo - 2) + (hi - lo + 4) * r.nextDouble();
            } while (Math.abs(u - lo) < 0.02 || Math.abs(u - hi) < 0.02 || Math.abs(u - Math.floor(u) - 0.5) < 0.02);
            v[i] = (float) (u * scale);
        }
        return new DoubleTensor(v, shape);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(ttq.engine.ops.LearnedScaleQuantize.class)
    void learnedScaleQuantizeStraightThrough(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        int[] bitsChoice = {2, 4, 8};
        int bits = bitsChoice[r.nextInt(3)];
        int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
        float delta = (float) (0.05 + r.nextDouble());
        boolean perChannel = r.nextBoolean();
        int[] scaleShape = perChannel ? new int[] {s[s.length - 1]} : new int[0];
        double[] sv = new double[Shape.numel(scaleShape)];
        for (int i = 0; i < sv.length; i++) {
            sv[i] = perChannel ? (float) (delta * (0.5 + r.nextDouble())) : delta;
        }
        DoubleTensor scale = new DoubleTensor(sv, scaleShape);
        DoubleTensor x = quantizable(r, s, delta, lo, hi);
        if (perChannel) { // keep values quantizable against their own channel's scale
            for (int i = 0; i < x.v.length; i++) {
                x.v[i] = (float) (x.v[i] / delta * sv[i % sv.length]);
            }
            x = DoubleTensor.of(x.toTensor());
        }
        DoubleTensor x0 = x.copy();
        float gradScale = r.nextBoolean() ? 1f : 0.3f;
        // the residual c of each element at the base point, from float arithmetic as the engine does it
        double[] c = new double[x0.numel()];
        for (int i = 0; i < c.length; i++) {
            float u = (float) x0.v[i] / (float) sv[i % sv.length];
            float cl = Math.max(lo, Math.min(hi, u));
            c[i] = Math.rint(cl) - cl;
        }
        GradCheck.check("quantize b" + bits, in(x, scale), t -> Ops.quantize(t[0], t[1], bits, gradScale),
                t -> {
                    DoubleTensor out = DoubleTensor.zeros(t[0].shape);
                    for (int i = 0; i < out.v.length; i++) {
                        // LSQ's gradient factor g: evaluate at s0 + g (s - s0), whose s-derivative carries g
                        double s0 = sv[i % sv.length];
                        double sEff = s0 + gradScale * (t[1].v[i % t[1].numel()] - s0);
                        out.v[i] = sEff * (Math.max(lo, Math.min(hi, t[0].v[i] / sEff)) + c[i]);
                    }
                    return out;
                }, seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf(ttq.engine.ops.GeluQuantize.class)
    void geluQuantizeStraightThrough(@ForAll("nonEmpty") int[] s, @ForAll long seed) {
        Random r = new Random(seed);
        int[] bitsChoice = {2, 4, 8};
        int bits = bitsChoice[r.nextInt(3)];
        int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
        float delta = (float) (0.02 + 0.5 * r.nextDouble());
        // inputs whose GELU stays clear of the clipping kinks (a finite difference across one is no derivative)
        double[] xv = new double[Shape.numel(s)];
        for (int i = 0; i < xv.length; i++) {
            double u;
            do {
                xv[i] = (float) (3 * r.nextGaussian());
                u = Ref.gelu(xv[i]) / delta;
            } while (Math.abs(u - lo) < 0.05 || Math.abs(u - hi) < 0.05);
        }
        DoubleTensor x = new DoubleTensor(xv, s), scale = new DoubleTensor(new double[] {delta});
        float gradScale = r.nextBoolean() ? 1f : 0.3f;
        // the rounding residual at the base point, from the engine's float GELU as the op forms it
        float[] y = x.toTensor().gelu().data();
        double[] c = new double[y.length];
        for (int i = 0; i < c.length; i++) {
            float cl = Math.max(lo, Math.min(hi, y[i] / delta));
            c[i] = Math.rint(cl) - cl;
        }
        GradCheck.check("geluQuantize b" + bits, in(x, scale), t -> Ops.geluQuantize(t[0], t[1], bits, gradScale),
                t -> {
                    DoubleTensor out = DoubleTensor.zeros(t[0].shape);
                    double sEff = delta + gradScale * (t[1].v[0] - delta);
                    for (int i = 0; i < out.v.length; i++) {
                        out.v[i] = sEff * (Math.max(lo, Math.min(hi, Ref.gelu(t[0].v[i]) / sEff)) + c[i]);
                    }
                    return out;
                }, seed);
    }

    @Property(tries = TRIES)
    @GradientCheckOf({ttq.engine.ops.TernaryQuantize.class, ttq.engine.ops.BinaryQuantize.class})
    void ternaryAndBinaryStraightThrough(@ForAll("nonEmpty") int[] s, @ForAll boolean ternary, @ForAll long seed) {
        Random r = new Random(seed);
        DoubleTensor w = DoubleTensor.of(Gen.normal(r, s).toTensor());
        Tensor q = ternary ? Ops.ternary(w.toTensor()) : Ops.binary(w.toTensor());
        double[] c = new double[w.numel()];
        for (int i = 0; i < c.length; i++) {
            c[i] = q.data()[i] - w.v[i];
        }
        GradCheck.check(ternary ? "ternary" : "binary", in(w), t -> ternary ? Ops.ternary(t[0]) : Ops.binary(t[0]),
                t -> {
                    DoubleTensor out = t[0].copy();
                    for (int i = 0; i < c.length; i++) {
                        out.v[i] += c[i];
                    }
                    return out;
                }, seed);
    }

    @Property(tries = TRIES)
    void sharedSubexpression(@ForAll long seed) {
        // a tensor consumed by several ops: its gradient must be the sum over all uses
        Random r = new Random(seed);
        int n = 1 + r.nextInt(4), d = 1 + r.nextInt(4);
        GradCheck.check("shared", in(Gen.normal(r, n, d), Gen.normal(r, d, d)),
                x -> {
                    Tensor h = x[0].matmul(x[1]).tanh();
                    return h.mul(h).add(h.softmax(-1)).add(x[0]);
                },
                x -> {
                    DoubleTensor h = Ref.map(Ref.matmul(x[0], x[1]), Math::tanh);
                    return Ref.binary(Ref.binary(Ref.binary(h, h, (a, b) -> a * b), Ref.softmax(h, false), Double::sum),
                            x[0], Double::sum);
                }, seed);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }
}
