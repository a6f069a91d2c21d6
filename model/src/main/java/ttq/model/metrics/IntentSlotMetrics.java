package ttq.model.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import ttq.model.data.Utterance;

/**
 * Joint intent/slot scores as in the ATIS literature: intent accuracy over all utterances, slot F1
 * as conlleval's chunk F1 ({@link ConllEval}), and semantic-frame accuracy (the intent right and
 * every slot tag right). Labels are compared as strings, so a gold label never seen in training
 * (which a model can never output) simply never matches; it is never dropped from a denominator.
 *
 * <p>All scores are <b>percentages</b> in [0, 100] (0 when there are no utterances), like conlleval.
 *
 * @param utterances number of utterances scored
 * @param correctIntents utterances whose predicted intent equals the gold intent
 * @param correctFrames utterances whose intent and whole tag sequence are right
 * @param slots the conlleval result over the slot tags
 */
public record IntentSlotMetrics(int utterances, int correctIntents, int correctFrames, ConllEval.Result slots) {

    /**
     * Scores predictions against gold labels; list {@code i} of each argument is utterance {@code i}.
     *
     * @throws IllegalArgumentException when the lists differ in size, a predicted tag sequence differs in
     *     length from its gold one, or a tag is not BIO
     */
    public static IntentSlotMetrics of(List<String> goldIntents, List<String> predictedIntents,
            List<? extends List<String>> goldTags, List<? extends List<String>> predictedTags) {
        int n = goldIntents.size();
        if (predictedIntents.size() != n || goldTags.size() != n || predictedTags.size() != n) {
            throw new IllegalArgumentException("sizes differ: " + n + " gold intents, " + predictedIntents.size()
                    + " predicted intents, " + goldTags.size() + " gold tag sequences, " + predictedTags.size()
                    + " predicted tag sequences");
        }
        ConllEval.Result slots = ConllEval.evaluate(goldTags, predictedTags); // checks lengths and tags
        int intents = 0, frames = 0;
        for (int i = 0; i < n; i++) {
            boolean intent = goldIntents.get(i).equals(predictedIntents.get(i));
            if (intent) {
                intents++;
                if (goldTags.get(i).equals(predictedTags.get(i))) {
                    frames++;
                }
            }
        }
        return new IntentSlotMetrics(n, intents, frames, slots);
    }

    /** Scores predictions against the gold labels of {@code gold} utterances. */
    public static IntentSlotMetrics of(List<Utterance> gold, List<String> predictedIntents,
            List<? extends List<String>> predictedTags) {
        List<String> intents = new ArrayList<>(gold.size());
        List<List<String>> tags = new ArrayList<>(gold.size());
        for (Utterance u : gold) {
            intents.add(u.intent());
            tags.add(u.tags());
        }
        return of(intents, predictedIntents, tags, predictedTags);
    }

    /** Intent accuracy in percent. */
    public double intentAccuracy() {
        return ConllEval.ratio(correctIntents, utterances);
    }

    /** Slot chunk F1 in percent (conlleval's FB1). */
    public double slotF1() {
        return slots.f1();
    }

    /**
     * Slot tag accuracy over tokens in percent (conlleval's "accuracy", O tags included), which
     * equals a token-level micro-averaged F1 over all tags. Not the chunk F1 of {@link #slotF1()}:
     * reported beside it because papers do not always say which "slot F1" they print.
     */
    public double slotTokenAccuracy() {
        return slots.accuracy();
    }

    /** Semantic-frame (sentence) accuracy in percent. */
    public double frameAccuracy() {
        return ConllEval.ratio(correctFrames, utterances);
    }

    /** One line: {@code intent acc 97.00  slot F1 95.12  frame acc 85.00  (n=893)}, two decimals as conlleval. */
    public String summary() {
        return String.format(Locale.ROOT, "intent acc %s  slot F1 %s  frame acc %s  (n=%d)",
                ConllEval.percent(intentAccuracy()), ConllEval.percent(slotF1()), ConllEval.percent(frameAccuracy()),
                utterances);
    }
}
