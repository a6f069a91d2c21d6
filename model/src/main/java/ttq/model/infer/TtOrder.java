package ttq.model.infer;

import java.util.Locale;

/**
 * The contraction order of an integer tensor-train layer at inference. {@link #PAIR}: the output
 * cores precontracted into U [M, r] and the input cores into V [r, N] at load (integer sums,
 * requantized once per row), then two INT8 products per call. {@link #CHAIN}: the input and then
 * the output cores contracted with the activations one core at a time, each step an INT8 product
 * requantized per token. {@link #AUTO} picks the faster of the two by timing both once per layer
 * shape, at 16 and 256 rows, and uses it at every batch size (the orders round differently, and an
 * utterance's answer must not depend on its batch).
 */
public enum TtOrder {
    AUTO, PAIR, CHAIN;

    /** The order named (auto, pair, chain; any case). */
    public static TtOrder parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("TT order must be auto, pair or chain, got '" + name + "'");
        }
    }

    /** The lower-case name. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
