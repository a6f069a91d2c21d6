package ttq.model.infer;

import ttq.engine.Tensor;

/** Integer codes of quantized cores and the one-time requantization of precontracted integer factors. */
final class Codes {
    private Codes() {
    }

    /**
     * The b-bit codes of a core under scale s: rint(clip(x / s, -2^(b-1), 2^(b-1) - 1)), exactly as
     * the fake quantizer and {@code ttq export} compute them (so a compact file's stored integers come
     * back unchanged).
     */
    static double[] of(Tensor core, float scale, int bits) {
        int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
        float[] x = core.data();
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            float u = x[i] / scale;
            out[i] = Math.rint(u < lo ? lo : (u > hi ? hi : u));
        }
        return out;
    }

    /**
     * Rows of exact integer values (in doubles) to INT8 codes with one scale per row: a row whose
     * values all fit [-127, 127] keeps them exactly (scale 1), any other is requantized to
     * max|row| / 127, rounding half to even. Writes codes into {@code out} and returns the row scales.
     */
    static float[] requantizeRows(double[] values, int rows, int cols, byte[] out) {
        float[] scales = new float[rows];
        for (int i = 0; i < rows; i++) {
            double max = 0;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, Math.abs(values[i * cols + j]));
            }
            float step = max <= 127 ? 1f : (float) (max / 127);
            scales[i] = step;
            for (int j = 0; j < cols; j++) {
                double q = Math.rint(values[i * cols + j] / step);
                out[i * cols + j] = (byte) Math.max(-127, Math.min(127, q));
            }
        }
        return scales;
    }

    /** s^p in double, rounded once to float: the scale of a product of p codes that each carry scale s. */
    static double power(float s, int p) {
        double out = 1;
        for (int i = 0; i < p; i++) {
            out *= s;
        }
        return out;
    }
}
