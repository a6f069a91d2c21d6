package ttq.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Every INT8 path bit-exact against a plain Java reference: odd sizes, the extreme values -128 and
 * 127, sums that wrap past the int32 limits. Paths this CPU lacks are skipped, saying so.
 */
class Int8GemmProperties {
    static int[] reference(int m, int n, int k, byte[] a, int lda, byte[] b, int ldb) {
        int[] c = new int[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int s = 0; // Java int arithmetic: wraps modulo 2^32
                for (int p = 0; p < k; p++) {
                    s += a[i * lda + p] * b[j * ldb + p];
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    static byte[] values(Random r, int count, int mode) {
        byte[] v = new byte[count];
        for (int i = 0; i < count; i++) {
            switch (mode) {
                case 0 -> v[i] = (byte) (r.nextInt(256) - 128);
                case 1 -> v[i] = r.nextBoolean() ? (byte) -128 : (byte) 127; // extremes only
                default -> v[i] = (byte) -128;
            }
        }
        return v;
    }

    void checkPath(Int8Path path, int m, int n, int k, int mode, long seed) {
        assumeTrue(path.supported(), "INT8 path " + path + " not supported on this CPU; skipped");
        Random r = new Random(seed);
        int lda = Math.max(1, k) + r.nextInt(3), ldb = Math.max(1, k) + r.nextInt(3);
        byte[] a = values(r, Math.max(0, (m - 1) * lda + k), mode), b = values(r, Math.max(0, (n - 1) * ldb + k), mode);
        int[] c = new int[m * n];
        Int8Gemm.gemm(path, m, n, k, a, 0, lda, b, 0, ldb, c, 0, Math.max(1, n));
        assertArrayEquals(reference(m, n, k, a, lda, b, ldb), c, path + " m=" + m + " n=" + n + " k=" + k);
    }

    @Property(tries = 60)
    void scalarPath(@ForAll @IntRange(min = 0, max = 13) int m, @ForAll @IntRange(min = 0, max = 13) int n,
                    @ForAll @IntRange(min = 0, max = 200) int k, @ForAll @IntRange(min = 0, max = 1) int mode, @ForAll long seed) {
        checkPath(Int8Path.SCALAR, m, n, k, mode, seed);
    }

    @Property(tries = 60)
    @RequiresInt8Path(Int8Path.AVX2)
    void avx2Path(@ForAll @IntRange(min = 0, max = 13) int m, @ForAll @IntRange(min = 0, max = 13) int n,
                  @ForAll @IntRange(min = 0, max = 200) int k, @ForAll @IntRange(min = 0, max = 1) int mode, @ForAll long seed) {
        checkPath(Int8Path.AVX2, m, n, k, mode, seed);
    }

    @Property(tries = 60)
    @RequiresInt8Path(Int8Path.AVX_VNNI)
    void avxVnniPath(@ForAll @IntRange(min = 0, max = 13) int m, @ForAll @IntRange(min = 0, max = 13) int n,
                     @ForAll @IntRange(min = 0, max = 200) int k, @ForAll @IntRange(min = 0, max = 1) int mode, @ForAll long seed) {
        checkPath(Int8Path.AVX_VNNI, m, n, k, mode, seed);
    }

    @Property(tries = 60)
    @RequiresInt8Path(Int8Path.AVX512_VNNI)
    void avx512VnniPath(@ForAll @IntRange(min = 0, max = 13) int m, @ForAll @IntRange(min = 0, max = 13) int n,
                        @ForAll @IntRange(min = 0, max = 300) int k, @ForAll @IntRange(min = 0, max = 1) int mode, @ForAll long seed) {
        checkPath(Int8Path.AVX512_VNNI, m, n, k, mode, seed);
    }

    /** A narrow B (every |b| <= w) takes the AVX2 byte kernel, whose int16 sums must never overflow. */
    @Property(tries = 80)
    @RequiresInt8Path(Int8Path.AVX2)
    void avx2NarrowPath(@ForAll @IntRange(min = 0, max = 13) int m, @ForAll @IntRange(min = 0, max = 40) int n,
                        @ForAll @IntRange(min = 0, max = 700) int k, @ForAll @IntRange(min = 0, max = Int8Gemm.AVX2_NARROW_MAX) int w,
                        @ForAll @IntRange(min = 0, max = 1) int mode, @ForAll long seed) {
        Random r = new Random(seed);
        int lda = Math.max(1, k) + r.nextInt(3), ldb = Math.max(1, k) + r.nextInt(3);
        byte[] a = values(r, Math.max(0, (m - 1) * lda + k), mode);
        byte[] b = new byte[Math.max(0, (n - 1) * ldb + k)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (mode == 1 ? (r.nextBoolean() ? w : -w) : r.nextInt(2 * w + 1) - w);
        }
        Int8Gemm.Packed packed = Int8Gemm.pack(Int8Path.AVX2, n, k, b, 0, ldb);
        assertTrue(packed.narrow(), "|b| <= " + w + " takes the byte kernel");
        int[] c = new int[m * n];
        Int8Gemm.gemm(packed, m, a, 0, lda, c, 0, Math.max(1, n));
        assertArrayEquals(reference(m, n, k, a, lda, b, ldb), c, "AVX2 narrow m=" + m + " n=" + n + " k=" + k + " w=" + w);
    }

    @Test
    void avx2NarrowInt16SumsAtTheirLimit() {
        assumeTrue(Int8Path.AVX2.supported(), "AVX2 not supported on this CPU; skipped");
        // a = 127 is 255 after the +128 shift: every int16 sum reaches depth * 510 * w, the most it may
        for (int w = 0; w <= Int8Gemm.AVX2_NARROW_MAX; w++) {
            int depth = Int8Gemm.int16Depth(w);
            assertTrue(depth * 510L * w <= Short.MAX_VALUE, "w=" + w);
            int k = 4 * depth * 3 + 3, m = 7, n = 17;
            for (int sign : new int[] {1, -1}) {
                byte[] a = new byte[m * k], b = new byte[n * k];
                java.util.Arrays.fill(a, (byte) 127);
                java.util.Arrays.fill(b, (byte) (sign * w));
                Int8Gemm.Packed packed = Int8Gemm.pack(Int8Path.AVX2, n, k, b, 0, k);
                assertTrue(packed.narrow());
                int[] c = new int[m * n];
                Int8Gemm.gemm(packed, m, a, 0, k, c, 0, n);
                assertArrayEquals(reference(m, n, k, a, k, b, k), c, "w=" + sign * w);
            }
        }
    }

    @Test
    void avx2ByteKernelOnlyForNarrowB() {
        assumeTrue(Int8Path.AVX2.supported(), "AVX2 not supported on this CPU; skipped");
        byte[] b = new byte[3 * 50];
        java.util.Arrays.fill(b, (byte) -Int8Gemm.AVX2_NARROW_MAX);
        assertTrue(Int8Gemm.pack(Int8Path.AVX2, 3, 50, b, 0, 50).narrow());
        b[77] = (byte) (Int8Gemm.AVX2_NARROW_MAX + 1);
        assertTrue(!Int8Gemm.pack(Int8Path.AVX2, 3, 50, b, 0, 50).narrow());
        b[77] = (byte) -(Int8Gemm.AVX2_NARROW_MAX + 1);
        assertTrue(!Int8Gemm.pack(Int8Path.AVX2, 3, 50, b, 0, 50).narrow());
        // a value past the packed rows (ld > k) does not count
        byte[] padded = new byte[2 * 60];
        padded[55] = 100;
        assertTrue(Int8Gemm.pack(Int8Path.AVX2, 2, 50, padded, 0, 60).narrow());
    }

    @Test
    void sumsWrapPastInt32LimitsIdenticallyOnEveryPath() {
        // (-128)(-128) = 16384; 140000 of them sum to 2,293,760,000 > 2^31 - 1: wraps negative
        int k = 140_000;
        for (Int8Path p : Int8Path.supportedPaths()) {
            checkPath(p, 3, 5, k, 2, 7);
        }
        int[] c = new int[1];
        byte[] a = values(new Random(1), k, 2);
        Int8Gemm.gemm(Int8Path.SCALAR, 1, 1, k, a, 0, k, a, 0, k, c, 0, 1);
        assertTrue(c[0] < 0, "the reference wraps like Java int: " + c[0]);
    }

    @Test
    void largeShapesAgreeAcrossPaths() {
        for (Int8Path p : Int8Path.supportedPaths()) {
            checkPath(p, 67, 131, 768, 0, 11);
            // long k: the AVX-512 path's L2-sized column chunks hold 2 panels here, so 200 columns span 4 chunks
            checkPath(p, 29, 200, 3001, 0, 12);
        }
    }

    @Test
    void shapesAreCheckedBeforeNativeCode() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Int8Gemm.gemm(Int8Path.SCALAR, 4, 4, 8, new byte[31], 0, 8, new byte[32], 0, 8, new int[16], 0, 4));
        assertTrue(e.getMessage().contains("operand A"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Int8Gemm.gemm(Int8Path.SCALAR, 4, 4, 8, new byte[32], 0, 8, new byte[32], 0, 8, new int[15], 0, 4));
    }

    @Test
    void unsupportedForcedPathIsRefusedNotRun() {
        for (Int8Path p : Int8Path.values()) {
            if (!p.supported()) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> Int8Gemm.gemm(p, 1, 1, 1, new byte[1], 0, 1, new byte[1], 0, 1, new int[1], 0, 1));
                assertTrue(e.getMessage().contains("not supported"), e.getMessage());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Int8Path.parse("sse9"));
        assertTrue(Int8Path.best().supported());
    }

    @Property(tries = 40)
    void dequantizingStoreEqualsScaledIntegerResult(@ForAll @IntRange(min = 1, max = 20) int m, @ForAll @IntRange(min = 1, max = 40) int n,
                                                    @ForAll @IntRange(min = 1, max = 70) int k, @ForAll long seed) {
        Random r = new Random(seed);
        byte[] a = values(r, m * k, 0), b = values(r, n * k, 0);
        if (r.nextBoolean()) { // a narrow B: the AVX2 byte kernel's dequantizing store
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) (b[i] % (Int8Gemm.AVX2_NARROW_MAX + 1));
            }
        }
        float[] bias = new float[n];
        for (int i = 0; i < n; i++) {
            bias[i] = r.nextFloat();
        }
        int[] ref = reference(m, n, k, a, k, b, k);
        for (Int8Path p : Int8Path.supportedPaths()) {
            if (p == Int8Path.SCALAR) {
                continue;
            }
            float[] f = new float[m * n];
            Int8Gemm.gemmToFloat(Int8Gemm.pack(p, n, k, b, 0, k), m, a, 0, k, f, 0, n, 0.25f, bias);
            for (int i = 0; i < m * n; i++) {
                assertTrue(f[i] == (float) ref[i] * 0.25f + bias[i % n], p + " element " + i);
            }
        }
    }

    @Test
    void requantizeRoundsHalfToEvenAndSaturates() {
        byte[] out = new byte[5];
        Int8Gemm.requantize(new int[] {5, 7, -5, 1000, -1000}, 0.5f, out, 5);
        assertArrayEquals(new byte[] {2, 4, -2, 127, -128}, out);
    }
}
