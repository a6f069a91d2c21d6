package ttq.model.bert;

import java.util.Locale;

/**
 * How a sentence vector is read off the encoder: {@code CLS} (BERT's pooler: tanh(W h_[CLS] + b),
 * the way bge-small-en-v1.5 and bert-base are used) or {@code MEAN} (the average of the token
 * states, the way all-MiniLM-L6-v2 was trained).
 */
public enum Pooling {
    CLS, MEAN;

    /** Parses "cls" or "mean" (any case); anything else is an error naming the choices. */
    public static Pooling parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pooling must be cls or mean, got '" + s + "'");
        }
    }

    /** The pooling each bundled teacher was pretrained with. */
    public static Pooling defaultFor(String teacher) {
        return teacher.equals("minilm") ? MEAN : CLS;
    }
}
