package ttq.model.size;

import java.util.Locale;

/**
 * Storage and arithmetic precision of the quantized tensors of a model: FP32 (no quantization) or
 * b-bit symmetric integers (INT8, INT4, INT2) with one learned FP32 scale per layer.
 */
public enum Precision {
    FP32(32),
    INT8(8),
    INT4(4),
    INT2(2);

    /** Activation bits of quantized layers: the paper quantizes layer inputs and intermediates to INT8. */
    public static final int ACTIVATION_BITS = 8;

    private final int bits;

    Precision(int bits) {
        this.bits = bits;
    }

    /** The precision of {@code bits} bits per weight (32, 8, 4 or 2). */
    public static Precision of(int bits) {
        for (Precision p : values()) {
            if (p.bits == bits) {
                return p;
            }
        }
        throw new IllegalArgumentException("no precision of " + bits + " bits");
    }

    /** Bits per stored weight. */
    public int bits() {
        return bits;
    }

    /** Whether weights are integers (everything but FP32). */
    public boolean isQuantized() {
        return this != FP32;
    }

    /** Lower-case name for JSON keys ("fp32", "int8", ...). */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Bytes of one tensor of {@code elements} weights at this precision: 4 per element at FP32,
     * else packed, ceil(elements * bits / 8) (scales are counted by the caller).
     */
    public long packedBytes(long elements) {
        return this == FP32 ? 4 * elements : (elements * bits + 7) / 8;
    }

    /**
     * Weight of one operation of a quantized layer in the paper's FLOPs count (after BinaryBERT):
     * an m-bit by n-bit multiplication costs mn/64 fixed-point operations; with b-bit weights and
     * INT8 activations that is b * 8 / 64 (INT8: 1, INT4: 1/2, INT2: 1/4). FP32 operations count 1.
     */
    public double flopFactor() {
        return this == FP32 ? 1.0 : bits * ACTIVATION_BITS / 64.0;
    }
}
