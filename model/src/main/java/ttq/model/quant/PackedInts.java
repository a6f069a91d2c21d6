package ttq.model.quant;

/**
 * Signed integers of 2, 4 or 8 bits packed into bytes: four, two or one per byte, first value in
 * the lowest bits, two's complement within each field.
 */
public final class PackedInts {
    private PackedInts() {
    }

    /** Bytes needed for count values of the given width. */
    public static int packedLength(int count, int bits) {
        checkBits(bits);
        int perByte = 8 / bits;
        return (count + perByte - 1) / perByte;
    }

    /** Packs values, each within [-2^(bits-1), 2^(bits-1) - 1]. */
    public static byte[] pack(int[] values, int bits) {
        checkBits(bits);
        int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1, perByte = 8 / bits, mask = (1 << bits) - 1;
        byte[] out = new byte[packedLength(values.length, bits)];
        for (int i = 0; i < values.length; i++) {
            int v = values[i];
            if (v < lo || v > hi) {
                throw new IllegalArgumentException("pack: value " + v + " at " + i + " does not fit " + bits + " bits");
            }
            out[i / perByte] |= (byte) ((v & mask) << (bits * (i % perByte)));
        }
        return out;
    }

    /** Unpacks count values. */
    public static int[] unpack(byte[] packed, int bits, int count) {
        checkBits(bits);
        if (packed.length < packedLength(count, bits)) {
            throw new IllegalArgumentException("unpack: " + packed.length + " bytes hold fewer than " + count + " values of " + bits + " bits");
        }
        int perByte = 8 / bits, mask = (1 << bits) - 1, sign = 1 << (bits - 1);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            int field = (packed[i / perByte] >> (bits * (i % perByte))) & mask;
            out[i] = (field ^ sign) - sign; // sign-extend the field
        }
        return out;
    }

    private static void checkBits(int bits) {
        if (bits != 2 && bits != 4 && bits != 8) {
            throw new IllegalArgumentException("packed integers: bits must be 2, 4 or 8, got " + bits);
        }
    }
}
