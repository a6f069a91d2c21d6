package ttq.engine.io;

import java.nio.ByteBuffer;

/** Bulk conversion of little-endian element bytes to Java values, shared by entries and streaming reads. */
final class Decoding {
    private Decoding() {
    }

    /** Reads count elements of dtype from src (little-endian, at its position) into dst[off..]. */
    static void toFloats(DType dtype, ByteBuffer src, float[] dst, int off, int count) {
        int p = src.position();
        switch (dtype) {
            case F32 -> src.asFloatBuffer().get(dst, off, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = HalfFloats.f16ToFloat(src.getShort(p + 2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = HalfFloats.bf16ToFloat(src.getShort(p + 2 * i));
                }
            }
            case I64 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = (float) src.getLong(p + 8 * i);
                }
            }
            case I32 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = (float) src.getInt(p + 4 * i);
                }
            }
            case I8 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = src.get(p + i);
                }
            }
            case U8 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = src.get(p + i) & 0xFF;
                }
            }
            default -> throw new AssertionError(dtype);
        }
        src.position(p + count * dtype.byteSize());
    }

    /** Reads count integer elements of dtype from src (little-endian, at its position) into dst[off..]. */
    static void toLongs(DType dtype, ByteBuffer src, long[] dst, int off, int count) {
        int p = src.position();
        switch (dtype) {
            case I64 -> src.asLongBuffer().get(dst, off, count);
            case I32 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = src.getInt(p + 4 * i);
                }
            }
            case I8 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = src.get(p + i);
                }
            }
            case U8 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = src.get(p + i) & 0xFF;
                }
            }
            default -> throw new IllegalArgumentException(dtype + " is not an integer dtype");
        }
        src.position(p + count * dtype.byteSize());
    }
}
