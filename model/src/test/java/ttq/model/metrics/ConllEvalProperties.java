package ttq.model.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of {@link ConllEval} over random BIO sequences (types a, b, c.d; sentences of 0..10 tags):
 * F1 = 100 when predicted == gold (given a chunk), symmetry under swapping gold and predicted, and
 * agreement of conlleval's single-pass count with a plain chunk-set intersection.
 */
class ConllEvalProperties {

    /** Gold and predicted sentences, pairwise of equal length. */
    record Corpus(List<List<String>> gold, List<List<String>> predicted) {
    }

    private static final Arbitrary<String> TAG = Arbitraries.of("O", "O", "B-a", "I-a", "B-b", "I-b", "B-c.d", "I-c.d");

    @Provide
    Arbitrary<Corpus> corpora() {
        Arbitrary<List<List<String>>> pair = Arbitraries.integers().between(0, 10).flatMap(n -> {
            Arbitrary<List<String>> gold = TAG.list().ofSize(n);
            return gold.flatMap(g -> Arbitraries.oneOf(
                    TAG.list().ofSize(n).map(p -> List.of(g, p)), // independent prediction
                    noisyCopy(g))); // mostly right, so many chunks match
        });
        return pair.list().ofMaxSize(6).map(ConllEvalProperties::toCorpus);
    }

    private static Arbitrary<List<List<String>>> noisyCopy(List<String> gold) {
        int n = gold.size();
        return Combinators.combine(TAG.list().ofSize(n), Arbitraries.integers().between(0, 4).list().ofSize(n))
                .as((noise, coin) -> {
                    List<String> p = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        p.add(coin.get(i) == 0 ? noise.get(i) : gold.get(i));
                    }
                    return List.of(gold, p);
                });
    }

    private static Corpus toCorpus(List<List<List<String>>> pairs) {
        List<List<String>> g = new ArrayList<>(), p = new ArrayList<>();
        for (List<List<String>> pair : pairs) {
            g.add(pair.get(0));
            p.add(pair.get(1));
        }
        return new Corpus(g, p);
    }

    @Property(tries = 500)
    void perfectPredictionScoresHundred(@ForAll("corpora") Corpus c) {
        ConllEval.Result r = ConllEval.evaluate(c.gold(), c.gold());
        assertEquals(r.goldChunks(), r.correctChunks());
        assertEquals(r.goldChunks(), r.predictedChunks());
        assertEquals(r.goldChunks() > 0 ? 100.0 : 0.0, r.f1());
        assertEquals(r.tokens() > 0 ? 100.0 : 0.0, r.accuracy());
    }

    @Property(tries = 500)
    void swappingGoldAndPredictedSwapsPrecisionAndRecall(@ForAll("corpora") Corpus c) {
        ConllEval.Result r = ConllEval.evaluate(c.gold(), c.predicted());
        ConllEval.Result s = ConllEval.evaluate(c.predicted(), c.gold());
        assertEquals(r.correctChunks(), s.correctChunks());
        assertEquals(r.predictedChunks(), s.goldChunks());
        assertEquals(r.goldChunks(), s.predictedChunks());
        assertEquals(r.precision(), s.recall());
        assertEquals(r.recall(), s.precision());
        assertEquals(r.f1(), s.f1(), 1e-12);
        assertEquals(r.accuracy(), s.accuracy());
    }

    @Property(tries = 1000)
    void singlePassCountEqualsChunkSetIntersection(@ForAll("corpora") Corpus c) {
        ConllEval.Result r = ConllEval.evaluate(c.gold(), c.predicted());
        Set<List<Object>> g = chunks(c.gold()), p = chunks(c.predicted());
        Set<List<Object>> both = new HashSet<>(g);
        both.retainAll(p);
        assertEquals(g.size(), r.goldChunks());
        assertEquals(p.size(), r.predictedChunks());
        assertEquals(both.size(), r.correctChunks());
        for (ConllEval.TypeCounts t : r.byType().values()) {
            assertEquals(both.stream().filter(k -> k.get(1).equals(t.type())).count(), t.correct());
        }
    }

    /** Chunks as (sentence, type, start, end) from the BIO rules, written independently of ConllEval. */
    static Set<List<Object>> chunks(List<List<String>> sentences) {
        Set<List<Object>> out = new HashSet<>();
        for (int s = 0; s < sentences.size(); s++) {
            List<String> tags = sentences.get(s);
            String open = null;
            int start = -1;
            for (int i = 0; i <= tags.size(); i++) {
                String tag = i < tags.size() ? tags.get(i) : "O";
                String type = tag.equals("O") ? null : tag.substring(2);
                boolean continues = open != null && tag.startsWith("I-") && type.equals(open);
                if (!continues) {
                    if (open != null) {
                        out.add(List.of(s, open, start, i - 1));
                    }
                    open = type;
                    start = i;
                }
            }
        }
        return out;
    }
}
