package ttq.model.infer;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import ttq.model.data.JointBatcher;
import ttq.model.train.BioConstrainedDecoder;
import ttq.model.train.SlotDecoding;

/**
 * Text in, intent and slots out: tokenizes utterances as the corpus is (lower-cased, split on
 * whitespace; words the model never saw become {@code <unk>}), runs them through a
 * {@link JointRuntime} in one batch, and decodes the intent (with its softmax probability), the slot
 * tags ({@link SlotDecoding}, BIO by default) and the slot spans. Thread-safe: each thread gets its
 * own {@link RuntimeSession}.
 */
public final class Predictor {
    private final JointRuntime runtime;
    private final JointBatcher vocabularies;
    private final SlotDecoding decoding;
    private final SlotDecoding.Decoder decoder;
    private final ThreadLocal<RuntimeSession> sessions;

    /** A slot span: tokens [start, end) of the utterance (end exclusive) hold a value of this slot type. */
    @JsonPropertyOrder({"type", "start", "end", "text"})
    public record Slot(String type, int start, int end, String text) {
    }

    /** One utterance's prediction, as {@code ttq predict} prints it. */
    @JsonPropertyOrder({"text", "intent", "intent_prob", "slots", "tags"})
    public record Prediction(String text, String intent, @JsonProperty("intent_prob") double intentProb, List<Slot> slots,
                             List<String> tags) {
    }

    /** A text the model cannot take: empty, or more tokens than the model has positions. */
    public static final class InvalidInputException extends IllegalArgumentException {
        private final int index;

        InvalidInputException(int index, String message) {
            super(message);
            this.index = index;
        }

        /** Which text of the call (0-based). */
        public int index() {
            return index;
        }
    }

    /** A predictor over a runtime and the vocabularies it was trained with; each call splits its batch over {@code threads}. */
    public Predictor(JointRuntime runtime, JointBatcher vocabularies, SlotDecoding decoding, int threads) {
        if (vocabularies.words().size() != runtime.vocabulary() || vocabularies.intents().size() != runtime.intents()
                || vocabularies.slots().size() != runtime.slots()) {
            throw new IllegalArgumentException("vocabularies (" + vocabularies.words().size() + " words, " + vocabularies.intents().size()
                    + " intents, " + vocabularies.slots().size() + " slot tags) do not fit the model (" + runtime.vocabulary() + ", "
                    + runtime.intents() + ", " + runtime.slots() + ")");
        }
        this.runtime = runtime;
        this.vocabularies = vocabularies;
        this.decoding = decoding;
        this.decoder = decoding.decoder(vocabularies.slots().names());
        this.sessions = ThreadLocal.withInitial(() -> runtime.newSession(threads));
    }

    /** The runtime predictions come from. */
    public JointRuntime runtime() {
        return runtime;
    }

    /** The slot decoding in use. */
    public SlotDecoding decoding() {
        return decoding;
    }

    /** The words of a text as the corpus has them: split on whitespace, case kept (ids are looked up lower-cased). */
    public static List<String> words(String text) {
        String t = text.strip();
        return t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+"));
    }

    /**
     * Throws {@link InvalidInputException} when text {@code index} is empty or has more words than
     * the model's positions; returns its words otherwise.
     */
    public List<String> check(String text, int index) {
        if (text == null) {
            throw new InvalidInputException(index, "text " + index + " is missing");
        }
        List<String> w = words(text);
        if (w.isEmpty()) {
            throw new InvalidInputException(index, "empty utterance");
        }
        if (w.size() > runtime.maxLength()) {
            throw new InvalidInputException(index, w.size() + " words, but the model takes at most " + runtime.maxLength()
                    + " (its positional table)");
        }
        return w;
    }

    /** Utterances per runtime call: a request of any size keeps the session's logit buffers this small. */
    static final int CHUNK = 256;

    /** Predictions for texts, in order; every text is checked first ({@link #check}), so a bad one fails the call before any work. */
    public List<Prediction> predict(List<String> texts) {
        List<List<String>> words = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            words.add(check(texts.get(i), i));
        }
        List<Prediction> out = new ArrayList<>(texts.size());
        for (int from = 0; from < texts.size(); from += CHUNK) {
            int to = Math.min(texts.size(), from + CHUNK);
            out.addAll(predictChecked(texts.subList(from, to), words.subList(from, to)));
        }
        return out;
    }

    private List<Prediction> predictChecked(List<String> texts, List<List<String>> words) {
        int b = texts.size(), total = 0;
        for (List<String> w : words) {
            total += w.size();
        }
        int[] ids = new int[total], lengths = new int[b];
        for (int i = 0, t = 0; i < b; i++) {
            lengths[i] = words.get(i).size();
            for (String word : words.get(i)) {
                ids[t++] = vocabularies.words().id(word.toLowerCase(Locale.ROOT));
            }
        }
        RuntimeSession session = sessions.get();
        session.forward(ids, lengths, b);
        float[] intentLogits = session.intentLogits(), slotLogits = session.slotLogits();
        int ni = runtime.intents(), ns = runtime.slots();
        List<Prediction> out = new ArrayList<>(b);
        for (int i = 0, t = 0; i < b; i++) {
            int n = lengths[i];
            int best = BioConstrainedDecoder.argmax(Arrays.copyOfRange(intentLogits, i * ni, (i + 1) * ni), ni, 1)[0];
            double max = intentLogits[i * ni + best], sum = 0;
            for (int j = 0; j < ni; j++) {
                sum += Math.exp(intentLogits[i * ni + j] - max);
            }
            int[] tagIds = decoder.decode(Arrays.copyOfRange(slotLogits, t * ns, (t + n) * ns), ns, 1, n, new int[] {n});
            List<String> tags = new ArrayList<>(n);
            for (int id : tagIds) {
                tags.add(vocabularies.slots().name(id));
            }
            out.add(new Prediction(texts.get(i), vocabularies.intents().name(best), 1.0 / sum, spans(words.get(i), tags), tags));
            t += n;
        }
        return out;
    }

    /**
     * Slot spans of a tag sequence, read as conlleval reads it: B-x starts a span, I-x continues a
     * span of type x and starts one otherwise, anything else ends the open span.
     */
    public static List<Slot> spans(List<String> words, List<String> tags) {
        List<Slot> out = new ArrayList<>();
        String type = null;
        int start = 0;
        for (int t = 0; t <= tags.size(); t++) {
            String tag = t < tags.size() ? tags.get(t) : "O";
            boolean begin = tag.startsWith("B-"), inside = tag.startsWith("I-");
            String tagType = begin || inside ? tag.substring(2) : null;
            if (type != null && (!inside || !tagType.equals(type))) {
                out.add(new Slot(type, start, t, String.join(" ", words.subList(start, t))));
                type = null;
            }
            if (type == null && tagType != null) {
                type = tagType;
                start = t;
            }
        }
        return out;
    }
}
