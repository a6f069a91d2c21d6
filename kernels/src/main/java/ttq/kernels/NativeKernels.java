package ttq.kernels;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * Raw JavaCPP binding of our C++ kernels in {@code native/ttq_kernels.h}. Arrays are passed through
 * JNI critical regions (zero copy). Nothing here validates its arguments: call the checked wrappers
 * ({@link Blas}, {@link FusedKernels}, {@link CpuFeatures}) instead, which validate shapes and
 * bounds in Java before crossing into native code.
 */
@Properties(inherit = org.bytedeco.openblas.presets.openblas.class,
        value = @Platform(include = "ttq_kernels.h"))
@NoException
public final class NativeKernels {
    static {
        Loader.load();
    }

    private NativeKernels() {
    }

    public static native int ttq_native_version();

    public static native int ttq_cpu_features();

    public static native @Cast("const char*") BytePointer ttq_openblas_corename();

    public static native @Cast("const char*") BytePointer ttq_openblas_config();

    public static native int ttq_openblas_threads();

    public static native void ttq_openblas_set_threads(int n);

    @CriticalRegion
    public static native void ttq_gelu_forward(@Const float[] x, float[] y, @Cast("int64_t") long off, @Cast("int64_t") long n);

    @CriticalRegion
    public static native void ttq_gelu_backward(@Const float[] x, @Const float[] dy, float[] dx,
                                                @Cast("int64_t") long off, @Cast("int64_t") long n);

    @CriticalRegion
    public static native void ttq_quantize_forward(@Const float[] x, float[] q, @Cast("int64_t") long off, @Cast("int64_t") long n,
                                                   float d, float lo, float hi);

    @CriticalRegion
    public static native double ttq_quantize_backward(@Const float[] x, @Const float[] g, float[] dx, @Cast("int64_t") long off,
                                                      @Cast("int64_t") long n, float d, float lo, float hi);

    @CriticalRegion
    public static native void ttq_quantize_to_int8(@Const float[] x, @Cast("int8_t*") byte[] out, @Cast("int64_t") long off,
                                                   @Cast("int64_t") long n, float d, float lo, float hi);

    @CriticalRegion
    public static native void ttq_adam_update(float[] p, @Const float[] g, float[] m, float[] v,
                                              @Cast("int64_t") long off, @Cast("int64_t") long n,
                                              float lr, float beta1, float beta2, float eps, float wd,
                                              int decoupled, float bc1, float bc2);

    @CriticalRegion
    public static native void ttq_i8gemm(int n, int k, @Cast("const int8_t*") byte[] a, @Cast("int64_t") long offA, int lda,
                                         @Cast("const int8_t*") byte[] b, @Cast("int64_t") long offB, int ldb,
                                         @Cast("int32_t*") int[] c, @Cast("int64_t") long offC, int ldc, int m0, int m1);

    public static native @Cast("int64_t") long ttq_i8_packed_b_size(int path, int n, int k);

    @CriticalRegion
    public static native void ttq_i8_pack_b(int path, int n, int k, @Cast("const int8_t*") byte[] b, @Cast("int64_t") long offB,
                                            int ldb, @Cast("int8_t*") byte[] packed, @Cast("int32_t*") int[] colsum);

    @CriticalRegion
    public static native int ttq_i8gemm_packed(int path, int n, int k, @Cast("const int8_t*") byte[] a, @Cast("int64_t") long offA,
                                                int lda, @Cast("const int8_t*") byte[] packed, @Cast("const int32_t*") int[] colsum,
                                                @Cast("int32_t*") int[] c, @Cast("int64_t") long offC, int ldc, int m0, int m1,
                                                int depth);

    @CriticalRegion
    public static native void ttq_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                                        @Const float[] a, @Cast("int64_t") long offA, int lda,
                                        @Const float[] b, @Cast("int64_t") long offB, int ldb,
                                        float beta, float[] c, @Cast("int64_t") long offC, int ldc);

    @CriticalRegion
    public static native void ttq_sgemm_batched(int transA, int transB, int m, int n, int k, float alpha,
                                                @Const float[] a, @Cast("int64_t") long offA, int lda, @Cast("int64_t") long strideA,
                                                @Const float[] b, @Cast("int64_t") long offB, int ldb, @Cast("int64_t") long strideB,
                                                float beta, float[] c, @Cast("int64_t") long offC, int ldc, @Cast("int64_t") long strideC,
                                                int batch);

    @CriticalRegion
    public static native void ttq_skinny_smallk(int isa, int m, int n, int k, @Const float[] a, @Cast("int64_t") long offA, int lda,
                                                @Const float[] b, @Cast("int64_t") long offB, int ldb,
                                                float[] c, @Cast("int64_t") long offC, int ldc);

    @CriticalRegion
    public static native void ttq_skinny_smalln(int isa, int m, int n, int k, @Const float[] a, @Cast("int64_t") long offA, int lda,
                                                @Const float[] bt, @Cast("int64_t") long offB, int ldbt,
                                                float[] c, @Cast("int64_t") long offC, int ldc);

    @CriticalRegion
    public static native void ttq_skinny_tn(int isa, int s, int n, int kb, @Const float[] a, @Cast("int64_t") long offA, int lda,
                                            @Const float[] x, @Cast("int64_t") long offX, int ldx,
                                            float[] c, @Cast("int64_t") long offC, int ldc);

    @CriticalRegion
    public static native void ttq_factored_forward(int isa, int rows, int m, int n, int r, int k, @Const float[] x, @Cast("int64_t") long offX,
                                                   @Const float[] v, @Const float[] upT, float[] hp, @Cast("int64_t") long offH,
                                                   float[] y, @Cast("int64_t") long offY);

    @CriticalRegion
    public static native void ttq_factored_backward(int isa, int flags, int rows, int m, int n, int r, int k,
                                                    @Const float[] g, @Cast("int64_t") long offG, @Const float[] x, @Cast("int64_t") long offX,
                                                    @Const float[] hp, @Cast("int64_t") long offH, @Const float[] upT, @Const float[] v,
                                                    float[] dx, @Cast("int64_t") long offDx, float[] dvAcc, float[] gupAcc);

    @CriticalRegion
    public static native int ttq_i8gemm_packed_f32s(int path, int n, int k, @Cast("const int8_t*") byte[] a, @Cast("int64_t") long offA,
                                                     int lda, @Cast("const int8_t*") byte[] packed, @Cast("const int32_t*") int[] colsum,
                                                     float[] f, @Cast("int64_t") long offF, int ldf, int m0, int m1,
                                                     float scale, @Const float[] rowScale, @Cast("int64_t") long offRs,
                                                     @Const float[] colScale, @Const float[] bias, int depth);

    @CriticalRegion
    public static native int ttq_attention_i8(int n, int heads, int dh, @Cast("const int8_t*") byte[] q, @Cast("int64_t") long offQ,
                                              @Cast("const int8_t*") byte[] k, @Cast("int64_t") long offK,
                                              @Cast("const int8_t*") byte[] v, @Cast("int64_t") long offV, int ld,
                                              float sScore, float sP, float sOut, float[] out, @Cast("int64_t") long offO, int ldo);

    @CriticalRegion
    public static native int ttq_attention_f32(int n, int heads, int dh, @Const float[] q, @Cast("int64_t") long offQ,
                                               @Const float[] k, @Cast("int64_t") long offK, @Const float[] v, @Cast("int64_t") long offV,
                                               int ld, float scale, float[] out, @Cast("int64_t") long offO, int ldo);

    @CriticalRegion
    public static native void ttq_add_layernorm(int rows, int d, @Const float[] x, @Cast("int64_t") long offX,
                                                @Const float[] a, @Cast("int64_t") long offA, @Const float[] gamma, @Const float[] beta,
                                                float eps, float[] y, @Cast("int64_t") long offY);

    @CriticalRegion
    public static native void ttq_quantize_codes(@Const float[] x, @Cast("int64_t") long offX, @Cast("int8_t*") byte[] out,
                                                 @Cast("int64_t") long offOut, @Cast("int64_t") long n, float d);

    @CriticalRegion
    public static native int ttq_attention_i8_gemm(int path, int n, int heads, int dh, @Cast("const int8_t*") byte[] q,
                                                   @Cast("int64_t") long offQ, @Cast("const int8_t*") byte[] k, @Cast("int64_t") long offK,
                                                   @Cast("const int8_t*") byte[] v, @Cast("int64_t") long offV, int ld,
                                                   float sScore, float sP, float sOut, float[] out, @Cast("int64_t") long offO, int ldo);

    @CriticalRegion
    public static native void ttq_gelu_forward_isa(int isa, @Const float[] x, float[] y, @Cast("int64_t") long off, @Cast("int64_t") long n);

    @CriticalRegion
    public static native void ttq_requantize_h(int rows, int r, int w, @Cast("const int32_t*") int[] acc, @Const float[] vScale,
                                               @Const float[] xs, float xsScalar, @Cast("int8_t*") byte[] hc, float[] hs);

    @CriticalRegion
    public static native int ttq_attn_probs_forward(int L, int H, int dh, @Const float[] q, @Const float[] k, @Const float[] mask, int hasMask,
                                                     float scale, float[] p, @Cast("int64_t") long bh0, @Cast("int64_t") long bh1);

    @CriticalRegion
    public static native int ttq_attn_probs_backward(int L, int H, int dh, @Const float[] q, @Const float[] k, @Const float[] mask,
                                                     int hasMask, float scale, @Const float[] p, @Const float[] dp, float[] dq, float[] dk,
                                                     @Cast("int64_t") long bh0, @Cast("int64_t") long bh1);

    @CriticalRegion
    public static native void ttq_attn_context_forward(int L, int H, int dh, @Const float[] p, @Const float[] v, float[] out,
                                                       @Cast("int64_t") long bh0, @Cast("int64_t") long bh1);

    @CriticalRegion
    public static native int ttq_attn_context_backward(int L, int H, int dh, @Const float[] p, @Const float[] v, @Const float[] dout,
                                                        float[] dp, float[] dv, @Cast("int64_t") long bh0, @Cast("int64_t") long bh1);

    @CriticalRegion
    public static native void ttq_layernorm_forward(int d, @Const float[] x, @Const float[] res, int hasRes, @Const float[] gamma,
                                                    @Const float[] beta, float eps, float[] xhat, float[] y, float[] rstd,
                                                    @Cast("int64_t") long r0, @Cast("int64_t") long r1);

    @CriticalRegion
    public static native void ttq_layernorm_backward(int d, @Const float[] xhat, @Const float[] rstd, @Const float[] gamma, @Const float[] dy,
                                                     float[] dx, float[] dgamma, float[] dbeta, @Cast("int64_t") long r0, @Cast("int64_t") long r1);

    @CriticalRegion
    public static native void ttq_softmax_rows(int n, @Const float[] x, float[] out, float[] lse, int log, @Cast("int64_t") long r0,
                                               @Cast("int64_t") long r1);

    @CriticalRegion
    public static native void ttq_gelu_quantize_forward(@Const float[] x, float[] q, @Cast("int64_t") long off, @Cast("int64_t") long n,
                                                        float d, float lo, float hi);

    @CriticalRegion
    public static native double ttq_gelu_quantize_backward(@Const float[] x, @Const float[] g, float[] dx, @Cast("int64_t") long off,
                                                           @Cast("int64_t") long n, float d, float lo, float hi);
}
