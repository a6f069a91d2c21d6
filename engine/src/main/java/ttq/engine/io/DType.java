package ttq.engine.io;

/**
 * Element types of a safetensors file that this package understands, named as they appear in the
 * header's {@code "dtype"} field. All can be read; {@link SafeTensorsWriter} writes F32, I64, I8
 * and U8 (the types a ttq checkpoint or token file needs).
 */
public enum DType {
    /** IEEE 754 binary32. */
    F32(4, false),
    /** IEEE 754 binary16 (half precision). */
    F16(2, false),
    /** bfloat16: the upper 16 bits of a binary32. */
    BF16(2, false),
    /** Signed 64-bit integer. */
    I64(8, true),
    /** Signed 32-bit integer. */
    I32(4, true),
    /** Signed 8-bit integer. */
    I8(1, true),
    /** Unsigned 8-bit integer. */
    U8(1, true);

    private final int byteSize;
    private final boolean integer;

    DType(int byteSize, boolean integer) {
        this.byteSize = byteSize;
        this.integer = integer;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Whether values are integers (and so can be read exactly as longs). */
    public boolean isInteger() {
        return integer;
    }

    /**
     * The dtype with this header name (case-sensitive, as the format requires), or null when it is
     * not one of ours, so that readers can report the unknown name instead of throwing here.
     */
    public static DType fromName(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }
}
