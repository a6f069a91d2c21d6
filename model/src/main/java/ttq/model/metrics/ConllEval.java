package ttq.model.metrics;

import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import ttq.model.data.DataFormatException;

/**
 * Chunk-level precision, recall and F1 over BIO tags, computed the way the CoNLL-2000
 * {@code conlleval} script does (implemented from its documented rules, not copied).
 *
 * <p>Chunk rules: a chunk starts at {@code B-X}, or at {@code I-X} when the previous tag is
 * {@code O} or has another type; it ends before {@code O}, before any {@code B-}, and before an
 * {@code I-} of another type; a sentence boundary ends every chunk. A predicted chunk is correct
 * only if its type and both its boundaries equal those of a gold chunk. Counting follows
 * conlleval's single pass (a chunk "in agreement" is carried until both sides end it together).
 *
 * <p>Units: {@link Result#precision()}, {@link Result#recall()}, {@link Result#f1()} and
 * {@link Result#accuracy()} are <b>percentages</b> in [0, 100], unrounded; conlleval prints them
 * with two decimals, which {@link #percent(double)} and {@link Result#report()} reproduce
 * (C-printf rounding of the exact binary value). Precision is 0 when nothing was predicted,
 * recall 0 when there are no gold chunks, F1 = 2PR/(P+R) and 0 when P+R = 0.
 *
 * <p>Tags must be {@code O}, {@code B-type} or {@code I-type} (the BIO scheme; conlleval's IOE
 * and bracket variants are not supported and are rejected).
 */
public final class ConllEval {
    /** conlleval's document-boundary token: a line whose first field is this is a sentence break. */
    public static final String DOCSTART = "-X-";

    private ConllEval() {
    }

    /** One sentence of the conlleval input format: a token, its gold tag and its predicted tag per position. */
    public record Sentence(List<String> tokens, List<String> gold, List<String> predicted) {
        /** Checks that the three lists have equal length and copies them. */
        public Sentence {
            if (tokens.size() != gold.size() || gold.size() != predicted.size()) {
                throw new IllegalArgumentException("sentence lists differ in length: " + tokens.size() + " tokens, "
                        + gold.size() + " gold tags, " + predicted.size() + " predicted tags");
            }
            tokens = List.copyOf(tokens);
            gold = List.copyOf(gold);
            predicted = List.copyOf(predicted);
        }
    }

    /** Chunk counts of one chunk type (gold or predicted), with conlleval's per-type scores. */
    public record TypeCounts(String type, int correct, int predicted, int gold) {
        /** Precision in percent (0 when nothing of this type was predicted). */
        public double precision() {
            return ratio(correct, predicted);
        }

        /** Recall in percent (0 when there is no gold chunk of this type). */
        public double recall() {
            return ratio(correct, gold);
        }

        /** F1 in percent: 2PR/(P+R), 0 when P+R = 0. */
        public double f1() {
            return fb1(precision(), recall());
        }
    }

    /**
     * The totals of an evaluation: chunk counts, token counts and per-type counts (sorted by type).
     * All score methods return percentages.
     */
    public record Result(int correctChunks, int predictedChunks, int goldChunks, int tokens, int correctTokens,
            Map<String, TypeCounts> byType) {
        /** Copies {@code byType} into an unmodifiable sorted map. */
        public Result {
            byType = Collections.unmodifiableMap(new TreeMap<>(byType));
        }

        /** Chunk precision in percent (0 when no chunk was predicted). */
        public double precision() {
            return ratio(correctChunks, predictedChunks);
        }

        /** Chunk recall in percent (0 when there is no gold chunk). */
        public double recall() {
            return ratio(correctChunks, goldChunks);
        }

        /** Chunk F1 ("FB1") in percent: 2PR/(P+R), 0 when P+R = 0. */
        public double f1() {
            return fb1(precision(), recall());
        }

        /** Token accuracy in percent: tokens whose predicted tag equals the gold tag (0 when there are no tokens). */
        public double accuracy() {
            return ratio(correctTokens, tokens);
        }

        /** The summary in conlleval's layout: totals line, scores line, then one line per chunk type. */
        public String report() {
            StringBuilder sb = new StringBuilder();
            sb.append("processed ").append(tokens).append(" tokens with ").append(goldChunks).append(" phrases; found: ")
                    .append(predictedChunks).append(" phrases; correct: ").append(correctChunks).append(".\n");
            if (tokens > 0) {
                sb.append("accuracy: ").append(pad(percent(accuracy()))).append("%; precision: ")
                        .append(pad(percent(precision()))).append("%; recall: ").append(pad(percent(recall())))
                        .append("%; FB1: ").append(pad(percent(f1()))).append('\n');
                for (TypeCounts t : byType.values()) {
                    sb.append(String.format("%17s", t.type())).append(": precision: ").append(pad(percent(t.precision())))
                            .append("%; recall: ").append(pad(percent(t.recall()))).append("%; FB1: ")
                            .append(pad(percent(t.f1()))).append("  ").append(t.predicted()).append('\n');
                }
            }
            return sb.toString();
        }
    }

    /**
     * Scores predicted against gold tag sequences, sentence by sentence ({@code gold.get(i)} and
     * {@code predicted.get(i)} must have equal length).
     *
     * @throws IllegalArgumentException on a count or length mismatch or a tag that is not BIO
     */
    public static Result evaluate(List<? extends List<String>> gold, List<? extends List<String>> predicted) {
        if (gold.size() != predicted.size()) {
            throw new IllegalArgumentException(gold.size() + " gold sentences but " + predicted.size() + " predicted");
        }
        Counter c = new Counter();
        for (int s = 0; s < gold.size(); s++) {
            List<String> g = gold.get(s), p = predicted.get(s);
            if (g.size() != p.size()) {
                throw new IllegalArgumentException("sentence " + s + ": " + g.size() + " gold tags but " + p.size()
                        + " predicted");
            }
            for (int t = 0; t < g.size(); t++) {
                c.token(check(g.get(t), s, t), check(p.get(t), s, t));
            }
            c.boundary();
        }
        return c.result();
    }

    /** Scores the gold and predicted columns of {@code sentences} (tokens are ignored). */
    public static Result evaluateSentences(List<Sentence> sentences) {
        List<List<String>> g = new ArrayList<>(sentences.size()), p = new ArrayList<>(sentences.size());
        for (Sentence s : sentences) {
            g.add(s.gold());
            p.add(s.predicted());
        }
        return evaluate(g, p);
    }

    /**
     * The conlleval input text: one line {@code token gold predicted} per token, a blank line after each
     * sentence.
     *
     * @throws IllegalArgumentException for a token or tag that is empty, contains whitespace, or (token
     *     only) equals {@link #DOCSTART}, since it would not read back as written
     */
    public static String format(List<Sentence> sentences) {
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < sentences.size(); s++) {
            Sentence sentence = sentences.get(s);
            for (int t = 0; t < sentence.tokens().size(); t++) {
                String token = sentence.tokens().get(t);
                field(token, "token", s, t);
                if (token.equals(DOCSTART)) {
                    throw new IllegalArgumentException("sentence " + s + ", token " + t + ": token '" + DOCSTART
                            + "' would read back as a document boundary");
                }
                sb.append(token).append(' ').append(field(sentence.gold().get(t), "gold tag", s, t)).append(' ')
                        .append(field(sentence.predicted().get(t), "predicted tag", s, t)).append('\n');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Writes {@link #format(List)} of {@code sentences} to {@code file} in UTF-8. */
    public static void write(Path file, List<Sentence> sentences) throws IOException {
        String text = format(sentences);
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(text);
        }
    }

    /** Reads a conlleval input file; see {@link #parse(String, List)}. */
    public static List<Sentence> read(Path file) throws IOException {
        return parse(file.toString(), ttq.model.data.TextLines.read(file));
    }

    /**
     * Parses conlleval input lines: fields separated by whitespace, the first field the token, the last two
     * the gold and the predicted tag (extra middle columns are allowed, but every line must have the same
     * number, at least three); a blank line, or one whose first field is {@link #DOCSTART}, ends a
     * sentence. Empty sentences are skipped.
     *
     * @param source the name used in error messages (normally the file path)
     * @throws DataFormatException naming {@code source} and the 1-based line for a line with a wrong number
     *     of fields or a tag that is not O, B-type or I-type
     */
    public static List<Sentence> parse(String source, List<String> lines) throws DataFormatException {
        List<Sentence> result = new ArrayList<>();
        List<String> tokens = new ArrayList<>(), gold = new ArrayList<>(), predicted = new ArrayList<>();
        int fieldCount = -1;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            String[] f = line.isEmpty() ? new String[0] : line.split("\\s+");
            if (f.length == 0 || f[0].equals(DOCSTART)) {
                flush(result, tokens, gold, predicted);
                continue;
            }
            String where = source + ":" + (i + 1) + ": ";
            if (f.length < 3) {
                throw new DataFormatException(where + "expected 'token gold predicted', got " + f.length
                        + " field(s): '" + line + "'");
            }
            if (fieldCount < 0) {
                fieldCount = f.length;
            } else if (f.length != fieldCount) {
                throw new DataFormatException(where + "expected " + fieldCount + " fields like the first line, got "
                        + f.length + ": '" + line + "'");
            }
            String g = f[f.length - 2], p = f[f.length - 1];
            for (String tag : new String[] {g, p}) {
                if (!isBio(tag)) {
                    throw new DataFormatException(where + "tag '" + tag + "' is not O, B-type or I-type");
                }
            }
            tokens.add(f[0]);
            gold.add(g);
            predicted.add(p);
        }
        flush(result, tokens, gold, predicted);
        return result;
    }

    /** Formats a percentage (or any value) with two decimals exactly as C's {@code printf("%.2f")} does. */
    public static String percent(double value) {
        return new BigDecimal(value).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
    }

    // ---- internals ----

    private static void flush(List<Sentence> out, List<String> tokens, List<String> gold, List<String> predicted) {
        if (!tokens.isEmpty()) {
            out.add(new Sentence(tokens, gold, predicted));
            tokens.clear();
            gold.clear();
            predicted.clear();
        }
    }

    private static String field(String value, String what, int s, int t) {
        if (value.isEmpty() || !value.equals(value.strip()) || value.split("\\s+").length != 1) {
            throw new IllegalArgumentException("sentence " + s + ", token " + t + ": " + what + " '" + value
                    + "' is empty or contains whitespace");
        }
        return value;
    }

    private static String pad(String s) {
        return s.length() >= 6 ? s : " ".repeat(6 - s.length()) + s;
    }

    private static boolean isBio(String tag) {
        return tag.equals("O") || tag.startsWith("B-") || tag.startsWith("I-");
    }

    private static String check(String tag, int s, int t) {
        if (!isBio(tag)) {
            throw new IllegalArgumentException("sentence " + s + ", token " + t + ": tag '" + tag
                    + "' is not O, B-type or I-type");
        }
        return tag;
    }

    static double ratio(int num, int den) {
        return den > 0 ? 100.0 * num / den : 0.0;
    }

    static double fb1(double p, double r) {
        return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    }

    /** conlleval's single-pass counter. Prefix is 'B', 'I' or 'O'; the type of O is "". */
    private static final class Counter {
        private final Map<String, int[]> types = new TreeMap<>(); // {correct, predicted, gold}
        private int correct, foundPred, foundGold, tokens, correctTokens;
        private boolean inCorrect;
        private char lastG = 'O', lastP = 'O';
        private String lastGT = "", lastPT = "";

        void token(String gold, String pred) {
            step(gold.charAt(0), type(gold), pred.charAt(0), type(pred));
            tokens++;
            if (gold.equals(pred)) {
                correctTokens++;
            }
        }

        void boundary() {
            step('O', "", 'O', "");
        }

        private void step(char g, String gt, char p, String pt) {
            if (inCorrect) {
                boolean endG = endOfChunk(lastG, lastGT, g, gt), endP = endOfChunk(lastP, lastPT, p, pt);
                if (endG && endP && lastPT.equals(lastGT)) {
                    inCorrect = false;
                    correct++;
                    counts(lastGT)[0]++;
                } else if (endG != endP || !pt.equals(gt)) {
                    inCorrect = false;
                }
            }
            boolean startG = startOfChunk(lastG, lastGT, g, gt), startP = startOfChunk(lastP, lastPT, p, pt);
            if (startG && startP && pt.equals(gt)) {
                inCorrect = true;
            }
            if (startG) {
                foundGold++;
                counts(gt)[2]++;
            }
            if (startP) {
                foundPred++;
                counts(pt)[1]++;
            }
            lastG = g;
            lastGT = gt;
            lastP = p;
            lastPT = pt;
        }

        private int[] counts(String type) {
            return types.computeIfAbsent(type, k -> new int[3]);
        }

        Result result() {
            if (inCorrect) { // only reachable without a final boundary; kept for fidelity
                correct++;
                counts(lastGT)[0]++;
                inCorrect = false;
            }
            Map<String, TypeCounts> byType = new TreeMap<>();
            types.forEach((k, v) -> byType.put(k, new TypeCounts(k, v[0], v[1], v[2])));
            return new Result(correct, foundPred, foundGold, tokens, correctTokens, byType);
        }

        private static String type(String tag) {
            return tag.equals("O") ? "" : tag.substring(2);
        }

        /** A chunk ended at the previous token. */
        private static boolean endOfChunk(char prev, String prevType, char cur, String curType) {
            if ((prev == 'B' || prev == 'I') && (cur == 'B' || cur == 'O')) {
                return true;
            }
            return prev != 'O' && !prevType.equals(curType);
        }

        /** A chunk starts at the current token. */
        private static boolean startOfChunk(char prev, String prevType, char cur, String curType) {
            if (cur == 'B' || (prev == 'O' && cur == 'I')) {
                return true;
            }
            return cur != 'O' && !prevType.equals(curType);
        }
    }
}
