package ttq.engine.io;

/**
 * Widening of 16-bit floats to float32. Java 17 lacks {@code Float.float16ToFloat}, so binary16 is
 * decoded by hand; both conversions are exact (every F16 and BF16 value is a float32 value).
 */
final class HalfFloats {
    private HalfFloats() {
    }

    /** The float32 value of IEEE binary16 bits, including subnormals, infinities and NaN payloads. */
    static float f16ToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            // Inf (mant 0) or NaN; shifting keeps the quiet bit and payload in the same place.
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mant << 13));
        }
        if (exp == 0) {
            // Zero or subnormal: mant * 2^-24, exact in float32 since mant < 2^10.
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        // Normal: rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exp + (127 - 15)) << 23) | (mant << 13));
    }

    /** The float32 value of bfloat16 bits: they are the upper half of a float32. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
