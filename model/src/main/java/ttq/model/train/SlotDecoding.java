package ttq.model.train;

import java.util.List;
import java.util.Locale;

/**
 * How per-token slot logits become tags: {@link #ARGMAX} takes each token's best tag on its own;
 * {@link #BIO} takes the best tag sequence that is valid BIO ({@link BioConstrainedDecoder}).
 */
public enum SlotDecoding {
    ARGMAX, BIO;

    /** The decoding named {@code argmax} or {@code bio} (any case). */
    public static SlotDecoding parse(String name) {
        for (SlotDecoding d : values()) {
            if (d.name().equalsIgnoreCase(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("slot decoding must be argmax or bio, got '" + name + "'");
    }

    /** The lower-case name used on the command line and in results files. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Tag ids for {@code [batch * length, tags]} slot logits, laid out like the logits' rows. */
    @FunctionalInterface
    public interface Decoder {
        /** Row r's first {@code lengths[r]} positions are its tokens; the rest are argmax'ed, as nothing reads them. */
        int[] decode(float[] logits, int tags, int batch, int length, int[] lengths);
    }

    /** The decoder for a tag set (index = tag id); built once per evaluation, used for every batch. */
    public Decoder decoder(List<String> tagNames) {
        return switch (this) {
            case ARGMAX -> (logits, tags, batch, length, lengths) -> BioConstrainedDecoder.argmax(logits, tags, batch * length);
            case BIO -> BioConstrainedDecoder.of(tagNames);
        };
    }
}
