package ttq.model.infer;

/**
 * A linear map of the inference runtime, y = W x + b on token rows: dense FP32, FP32 tensor-train,
 * or integer tensor-train. Forward-only and stateless between calls; every call runs on the
 * calling thread with that thread's {@link Scratch}.
 */
interface RuntimeLinear {
    /** Input width N. */
    int inFeatures();

    /** Output width M. */
    int outFeatures();

    /** y[offY + i * M + j] for rows i in [0, rows), from x[offX + i * N + ..]; y must not overlap x. */
    void forward(float[] x, int offX, int rows, float[] y, int offY, Scratch s);

    /** One line for {@code ttq info --model}: format, bits, shapes, contraction order. */
    String describe();
}
