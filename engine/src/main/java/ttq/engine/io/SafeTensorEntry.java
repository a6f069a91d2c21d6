package ttq.engine.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import ttq.engine.Tensor;

/**
 * One tensor as stored in a safetensors file: name, dtype, shape and its raw little-endian bytes.
 * Keeping the bytes undecoded lets callers choose the conversion (float tensor, exact integers)
 * and lets a file be rewritten without loss. Immutable.
 */
public final class SafeTensorEntry {
    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final byte[] bytes;

    private SafeTensorEntry(String name, DType dtype, long[] shape, byte[] bytes) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape;
        this.bytes = bytes;
    }

    /**
     * An entry over a copy of the given little-endian bytes, whose length must be the shape's
     * element count times the dtype's size.
     */
    public static SafeTensorEntry of(String name, DType dtype, long[] shape, byte[] bytes) {
        if (name == null || dtype == null || shape == null || bytes == null) {
            throw new NullPointerException("name, dtype, shape and bytes are required");
        }
        long n = numel(shape);
        if (n < 0 || n > Integer.MAX_VALUE / dtype.byteSize() || n * dtype.byteSize() != bytes.length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + bytes.length + " bytes do not hold shape "
                    + Arrays.toString(shape) + " of " + dtype);
        }
        return new SafeTensorEntry(name, dtype, shape.clone(), bytes.clone());
    }

    /** Takes ownership of already validated parts, without copying (for the reader). */
    static SafeTensorEntry trusted(String name, DType dtype, long[] shape, byte[] bytes) {
        return new SafeTensorEntry(name, dtype, shape, bytes);
    }

    /** Element count of a shape, or -1 when a dimension is negative or the count overflows a long. */
    static long numel(long[] shape) {
        long n = 1;
        boolean overflow = false;
        for (long d : shape) {
            if (d < 0) {
                return -1;
            }
            if (d == 0) {
                return 0;
            }
            if (!overflow) {
                long m = n * d;
                // A zero dimension later still makes the count 0, so keep scanning after an overflow.
                overflow = Math.multiplyHigh(n, d) != 0 || m < 0;
                n = m;
            }
        }
        return overflow ? -1 : n;
    }

    /** The tensor's name in the file. */
    public String name() {
        return name;
    }

    /** The stored element type. */
    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape as stored (dimensions may exceed int range in foreign files). */
    public long[] shape() {
        return shape.clone();
    }

    /** The shape as ints, as {@link Tensor} needs; throws IllegalStateException if a dimension is too large. */
    public int[] intShape() {
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new IllegalStateException("tensor '" + name + "': dimension " + shape[i] + " of shape "
                        + Arrays.toString(shape) + " exceeds int range");
            }
            s[i] = (int) shape[i];
        }
        return s;
    }

    /** Number of elements (1 for a scalar). */
    public int numel() {
        return bytes.length / dtype.byteSize();
    }

    /** A read-only little-endian view of the raw bytes (no copy, since tensors can be large). */
    public ByteBuffer data() {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The values converted to float (exactly for F32/F16/BF16/I8/U8/I32 up to 2^24, rounded for larger integers). */
    public float[] toFloatArray() {
        float[] out = new float[numel()];
        Decoding.toFloats(dtype, data(), out, 0, out.length);
        return out;
    }

    /** The values as a float32 {@link Tensor} of this shape, whatever the stored dtype. */
    public Tensor toFloatTensor() {
        return Tensor.wrap(toFloatArray(), intShape());
    }

    /** The exact values of an integer dtype (I64, I32, I8, U8; U8 as 0..255). */
    public long[] toLongArray() {
        requireInteger();
        long[] out = new long[numel()];
        Decoding.toLongs(dtype, data(), out, 0, out.length);
        return out;
    }

    /**
     * The exact values of an integer dtype as ints (token ids, indices); throws ArithmeticException
     * naming the tensor when an I64 value does not fit.
     */
    public int[] toIntArray() {
        long[] v = toLongArray();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] != (int) v[i]) {
                throw new ArithmeticException("tensor '" + name + "': value " + v[i] + " at index " + i + " does not fit in an int");
            }
            out[i] = (int) v[i];
        }
        return out;
    }

    private void requireInteger() {
        if (!dtype.isInteger()) {
            throw new IllegalStateException("tensor '" + name + "' has dtype " + dtype + ", not an integer dtype");
        }
    }

    /** Equal when name, dtype, shape and bytes are all equal (so NaN payloads compare bit-exactly). */
    @Override
    public boolean equals(Object o) {
        return o instanceof SafeTensorEntry e && name.equals(e.name) && dtype == e.dtype
                && Arrays.equals(shape, e.shape) && Arrays.equals(bytes, e.bytes);
    }

    /** Consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        return ((name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape)) * 31 + Arrays.hashCode(bytes);
    }

    /** Name, dtype and shape (not the values). */
    @Override
    public String toString() {
        return "SafeTensorEntry[" + name + ", " + dtype + ", " + Arrays.toString(shape) + "]";
    }
}
