package ttq.model.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Turns intent/slot utterances into padded id batches for joint training and evaluation. The three
 * vocabularies are built from the training split only: words (with {@value #PAD} = id 0 and
 * {@value #UNK} = id 1 reserved; unseen words map to 1), intents and slot tags (no unknown entry;
 * unseen labels map to {@value #UNSEEN}).
 */
public final class JointBatcher {
    /** Padding token, id {@value #PAD_ID}. */
    public static final String PAD = "<pad>";
    /** Unknown-word token, id {@value #UNK_ID}. */
    public static final String UNK = "<unk>";
    /** Id of {@link #PAD}. */
    public static final int PAD_ID = 0;
    /** Id of {@link #UNK}. */
    public static final int UNK_ID = 1;
    /** Label id for an intent or tag not seen in training. */
    public static final int UNSEEN = -1;
    /** Target that cross-entropy skips: used for slot pads and unseen slot tags. */
    public static final int IGNORE_INDEX = -100;

    private final Vocabulary words, intents, slots;
    private final int maxLength;
    /** Occurrences of each word id in the training split (null for saved vocabularies). */
    private final int[] wordCounts;

    /**
     * Builds the vocabularies from {@code train} (first-seen order).
     *
     * @param maxLength the longest row a batch may have; longer utterances are truncated (recorded per row)
     */
    public JointBatcher(List<Utterance> train, int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be at least 1, got " + maxLength);
        }
        this.maxLength = maxLength;
        List<String> w = new ArrayList<>(), in = new ArrayList<>(), tg = new ArrayList<>();
        for (Utterance u : train) {
            w.addAll(u.tokens());
            tg.addAll(u.tags());
            in.add(u.intent());
        }
        this.words = new Vocabulary(List.of(PAD, UNK), w, UNK);
        this.intents = new Vocabulary(List.of(), in, null);
        this.slots = new Vocabulary(List.of(), tg, null);
        this.wordCounts = new int[words.size()];
        for (String word : w) {
            wordCounts[words.id(word)]++;
        }
    }

    private JointBatcher(Vocabulary words, Vocabulary intents, Vocabulary slots, int maxLength) {
        this.words = words;
        this.intents = intents;
        this.slots = slots;
        this.maxLength = maxLength;
        this.wordCounts = null;
    }

    /**
     * Training-time unknown-word replacement (Kiperwasser and Goldberg 2016): every token whose word
     * occurs c times in the training split becomes {@code <unk>} with probability alpha / (alpha + c),
     * so rare words teach the {@code <unk>} embedding that unseen test words are read with. Returns a
     * copy of the batch with new ids (labels unchanged); the same random stream gives the same batch.
     */
    public Batch replaceRareWords(Batch b, double alpha, java.util.SplittableRandom random) {
        if (wordCounts == null) {
            throw new IllegalStateException("word counts are only known for a batcher built from a training split");
        }
        if (!(alpha >= 0)) {
            throw new IllegalArgumentException("alpha must be >= 0, got " + alpha);
        }
        int[] ids = b.ids().clone();
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id > UNK_ID && random.nextDouble() < alpha / (alpha + wordCounts[id])) {
                ids[i] = UNK_ID;
            }
        }
        return new Batch(b.batch(), b.length(), ids, b.mask(), b.intents(), b.slots(), b.lengths(), b.utterances());
    }

    /**
     * A batcher with saved vocabularies (as {@link Vocabulary#names()} lists them; words start with
     * {@code <pad>}, {@code <unk>}), e.g. those of an exported model; the same ids as the batcher
     * built from the training split they came from.
     */
    public static JointBatcher of(List<String> words, List<String> intents, List<String> slots, int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be at least 1, got " + maxLength);
        }
        if (words.size() < 2 || !words.get(PAD_ID).equals(PAD) || !words.get(UNK_ID).equals(UNK)) {
            throw new IllegalArgumentException("a word vocabulary starts with " + PAD + ", " + UNK);
        }
        for (List<String> l : List.of(words, intents, slots)) {
            if (new java.util.HashSet<>(l).size() != l.size()) {
                throw new IllegalArgumentException("a vocabulary lists an entry twice");
            }
        }
        return new JointBatcher(new Vocabulary(List.of(), words, UNK), new Vocabulary(List.of(), intents, null),
                new Vocabulary(List.of(), slots, null), maxLength);
    }

    /** The word vocabulary ({@code <pad>} = 0, {@code <unk>} = 1). */
    public Vocabulary words() {
        return words;
    }

    /** The intent vocabulary (unseen intents map to -1). */
    public Vocabulary intents() {
        return intents;
    }

    /** The slot-tag vocabulary (unseen tags map to -1). */
    public Vocabulary slots() {
        return slots;
    }

    /** The row-length cap. */
    public int maxLength() {
        return maxLength;
    }

    /**
     * One padded batch of {@code batch} rows of {@code length} positions; arrays are row-major
     * ({@code [row * length + position]}). Arrays are shared, not copied: do not modify them.
     *
     * @param batch number of rows B
     * @param length row length L: the longest utterance of the batch, capped by {@link #maxLength()}
     * @param ids [B*L] word ids, {@link #PAD_ID} at pads, {@link #UNK_ID} for unseen words
     * @param mask [B*L] 1 at tokens, 0 at pads
     * @param intents [B] intent ids, {@link #UNSEEN} (-1) for an intent not seen in training
     * @param slots [B*L] slot-tag ids for cross-entropy: {@link #IGNORE_INDEX} (-100) at pads and for tags
     *     not seen in training
     * @param lengths [B] tokens kept per row (less than the utterance's length when truncated)
     * @param utterances the source utterances with their raw (untruncated) string labels, for metrics
     */
    public record Batch(int batch, int length, int[] ids, float[] mask, int[] intents, int[] slots, int[] lengths,
            List<Utterance> utterances) {
        /** Whether row {@code row} was cut to {@link #length()}. */
        public boolean truncated(int row) {
            return lengths[row] < utterances.get(row).tokens().size();
        }

        /** Number of truncated rows. */
        public int truncatedCount() {
            int n = 0;
            for (int r = 0; r < batch; r++) {
                n += truncated(r) ? 1 : 0;
            }
            return n;
        }

        /** {@link #intents()} with {@link #UNSEEN} replaced by {@link #IGNORE_INDEX}: safe as cross-entropy targets. */
        public int[] intentLossTargets() {
            int[] t = intents.clone();
            for (int i = 0; i < t.length; i++) {
                if (t[i] == UNSEEN) {
                    t[i] = IGNORE_INDEX;
                }
            }
            return t;
        }

        /** Gold intents as strings, one per row. */
        public List<String> goldIntents() {
            return utterances.stream().map(Utterance::intent).toList();
        }

        /** Gold tag sequences as strings, full (untruncated) length, one per row. */
        public List<List<String>> goldTags() {
            return utterances.stream().map(Utterance::tags).toList();
        }

        @Override
        public String toString() {
            return "Batch[batch=" + batch + ", length=" + length + ", truncated=" + truncatedCount() + "]";
        }
    }

    /** Builds one batch from {@code utterances} (in the given order). */
    public Batch batch(List<Utterance> utterances) {
        if (utterances.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one utterance");
        }
        int b = utterances.size(), longest = 0;
        for (Utterance u : utterances) {
            longest = Math.max(longest, u.tokens().size());
        }
        int l = Math.min(longest, maxLength);
        int[] ids = new int[b * l], intentIds = new int[b], slotIds = new int[b * l], lengths = new int[b];
        float[] mask = new float[b * l];
        Arrays.fill(slotIds, IGNORE_INDEX);
        for (int r = 0; r < b; r++) {
            Utterance u = utterances.get(r);
            int n = Math.min(u.tokens().size(), l);
            lengths[r] = n;
            intentIds[r] = intents.id(u.intent());
            for (int t = 0; t < n; t++) {
                int i = r * l + t;
                ids[i] = words.id(u.tokens().get(t));
                mask[i] = 1f;
                int s = slots.id(u.tags().get(t));
                slotIds[i] = s == UNSEEN ? IGNORE_INDEX : s;
            }
        }
        return new Batch(b, l, ids, mask, intentIds, slotIds, lengths, List.copyOf(utterances));
    }

    /**
     * Splits {@code split} into batches of {@code batchSize} (the last may be smaller). With
     * {@code shuffleSeed == -1} the order is the split's; otherwise an index list is shuffled with
     * {@code Collections.shuffle(indices, new Random(shuffleSeed))}, so a seed always gives the same batches.
     */
    public List<Batch> batches(List<Utterance> split, int batchSize, long shuffleSeed) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        List<Integer> order = new ArrayList<>(split.size());
        for (int i = 0; i < split.size(); i++) {
            order.add(i);
        }
        if (shuffleSeed != -1) {
            Collections.shuffle(order, new Random(shuffleSeed));
        }
        List<Batch> result = new ArrayList<>((split.size() + batchSize - 1) / batchSize);
        for (int start = 0; start < order.size(); start += batchSize) {
            List<Utterance> rows = new ArrayList<>(batchSize);
            for (int k = start; k < Math.min(start + batchSize, order.size()); k++) {
                rows.add(split.get(order.get(k)));
            }
            result.add(batch(rows));
        }
        return result;
    }

    /** Intent names for predicted intent ids ({@code [B]}, each in [0, intents().size())). */
    public List<String> decodeIntents(int[] predicted) {
        List<String> out = new ArrayList<>(predicted.length);
        for (int i = 0; i < predicted.length; i++) {
            out.add(intents.name(checkId(predicted[i], intents.size(), "intent", i)));
        }
        return out;
    }

    /**
     * Tag sequences for predicted slot ids laid out like {@code b.slots()} ({@code [B*L]}): each row gets its
     * utterance's full length, with {@code "O"} at positions cut off by truncation (so gold chunks there count
     * as missed, never dropped).
     */
    public List<List<String>> decodeSlots(Batch b, int[] predicted) {
        if (predicted.length != b.batch() * b.length()) {
            throw new IllegalArgumentException("expected " + b.batch() * b.length() + " slot ids, got "
                    + predicted.length);
        }
        List<List<String>> out = new ArrayList<>(b.batch());
        for (int r = 0; r < b.batch(); r++) {
            int full = b.utterances().get(r).tokens().size();
            List<String> tags = new ArrayList<>(full);
            for (int t = 0; t < full; t++) {
                int i = r * b.length() + t;
                tags.add(t < b.lengths()[r] ? slots.name(checkId(predicted[i], slots.size(), "slot", i)) : "O");
            }
            out.add(tags);
        }
        return out;
    }

    private static int checkId(int id, int size, String what, int index) {
        if (id < 0 || id >= size) {
            throw new IllegalArgumentException(what + " id " + id + " at index " + index + " is outside [0, " + size
                    + ")");
        }
        return id;
    }
}
