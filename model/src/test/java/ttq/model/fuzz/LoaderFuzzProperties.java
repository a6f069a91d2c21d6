package ttq.model.fuzz;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import ttq.engine.GradMode;
import ttq.engine.StepScope;
import ttq.engine.io.SafeTensorsFormatException;
import ttq.model.data.DataFormatException;
import ttq.model.data.IntentSlotCorpus;
import ttq.model.data.JointBatcher;
import ttq.model.data.Utterance;
import ttq.model.data.VocabularyJson;
import ttq.model.quant.CompactExport;
import ttq.model.train.SavedJointModel;
import ttq.model.train.TrainingCheckpoint;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;
import ttq.model.transformer.TransformerConfigJson;

/**
 * Fuzzing the readers of untrusted files: training checkpoints and compact model files (bytes
 * flipped in the header or the body, cut short, spliced), configuration JSON, and corpus lines.
 * Every input must end in a loaded model or in the project's own exception with a message
 * ({@link DataFormatException}, {@link SafeTensorsFormatException}): never another exception type, a
 * JVM error or a hang (each try runs under a 10 s timeout). 10,500 tries in all; jqwik records the
 * seed of a failing run in .jqwik-database, and the seed of each property run is in the report.
 */
class LoaderFuzzProperties {
    private static Path dir;
    private static byte[] checkpoint, compact;
    private static String vocab, config;

    @BeforeContainer
    static void files() throws IOException {
        dir = Files.createTempDirectory("ttq-fuzz-");
        TransformerConfig c = new TransformerConfig(20, 24, 2, 2, 48, 16, 0.1f, 3, 5, "tt", 4, 3, 4,
                new int[] {4, 6}, new int[] {6, 4}, new int[] {6, 8}, new int[] {6, 4}, new int[] {4, 5}, new int[] {4, 6}, true, true);
        JointIntentSlotModel m = new JointIntentSlotModel(c, 1);
        m.eval();
        int[] ids = new Random(2).ints(32, 0, 20).toArray();
        float[] mask = new float[32];
        Arrays.fill(mask, 1f);
        try (GradMode.Scope g = GradMode.noGrad(); StepScope s = StepScope.open()) {
            m.forward(ids, mask, 2, 16); // sets the quantizers' scales
        }
        List<String> words = new java.util.ArrayList<>(List.of(JointBatcher.PAD, JointBatcher.UNK));
        for (int i = 2; i < 20; i++) {
            words.add("w" + i);
        }
        JointBatcher batcher = JointBatcher.of(words, List.of("a", "b", "c"), List.of("O", "B-x", "I-x", "B-y", "I-y"), 16);
        vocab = VocabularyJson.write(batcher);
        config = TransformerConfigJson.write(c);
        Path ck = dir.resolve("base.safetensors");
        TrainingCheckpoint.save(ck, m, null, Map.of("config", config, "vocab", vocab));
        checkpoint = Files.readAllBytes(ck);
        Path cp = dir.resolve("compact.safetensors");
        CompactExport.write(m, cp, Map.of("config", config));
        compact = Files.readAllBytes(cp);
    }

    @AfterContainer
    static void clean() throws IOException {
        System.out.println("loader fuzzing outcomes: " + OUTCOMES);
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A damaged copy of base: bytes overwritten (mostly in the header), cut short, or a slice repeated. */
    private static Arbitrary<byte[]> damaged(java.util.function.Supplier<byte[]> base) {
        return Arbitraries.longs().map(seed -> {
            byte[] b = base.get().clone();
            Random r = new Random(seed);
            int headerEnd = (int) Math.min(b.length, 8 + (b[0] & 0xFF) + ((b[1] & 0xFF) << 8) + ((b[2] & 0xFF) << 16));
            switch (r.nextInt(5)) {
                case 4 -> { // bytes of the tensor data: weights, scales and packed codes change, the file stays well-formed
                    for (int k = 1 + r.nextInt(8); k > 0 && b.length > headerEnd; k--) {
                        b[headerEnd + r.nextInt(b.length - headerEnd)] = (byte) r.nextInt(256);
                    }
                }
                case 0 -> { // a few bytes of the header
                    for (int k = 1 + r.nextInt(4); k > 0; k--) {
                        b[r.nextInt(Math.max(1, headerEnd))] = (byte) r.nextInt(256);
                    }
                }
                case 1 -> { // header text characters swapped for JSON punctuation and digits
                    String junk = "{}[]\":,0123456789-eE.nul ";
                    for (int k = 1 + r.nextInt(3); k > 0; k--) {
                        b[8 + r.nextInt(Math.max(1, headerEnd - 8))] = (byte) junk.charAt(r.nextInt(junk.length()));
                    }
                }
                case 2 -> b = Arrays.copyOf(b, r.nextInt(b.length)); // cut short
                default -> { // a slice of the body repeated (lengths no longer match)
                    int from = r.nextInt(b.length), len = r.nextInt(Math.max(1, b.length - from));
                    byte[] out = new byte[b.length + len];
                    System.arraycopy(b, 0, out, 0, from + len);
                    System.arraycopy(b, from, out, from + len, b.length - from);
                    b = out;
                }
            }
            return b;
        });
    }

    @Provide
    Arbitrary<byte[]> damagedCheckpoints() {
        return damaged(() -> checkpoint);
    }

    @Provide
    Arbitrary<byte[]> damagedCompactFiles() {
        return damaged(() -> compact);
    }

    /** Outcomes per reader ("checkpoint: loaded" -> count), printed after the run for the record. */
    private static final Map<String, Integer> OUTCOMES = new java.util.concurrent.ConcurrentSkipListMap<>();

    private static void expectCleanOutcome(String what, Executable run) {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try {
                run.execute();
                OUTCOMES.merge(what + ": accepted", 1, Integer::sum);
            } catch (DataFormatException | SafeTensorsFormatException e) {
                OUTCOMES.merge(what + ": refused with " + e.getClass().getSimpleName(), 1, Integer::sum);
                if (e.getMessage() == null || e.getMessage().isBlank()) {
                    fail(what + ": " + e.getClass().getSimpleName() + " without a message");
                }
            } catch (Throwable t) {
                throw new AssertionError(what + ": " + t.getClass().getName() + ": " + t.getMessage(), t);
            }
        }, what + ": no answer within 10 s");
    }

    @FunctionalInterface
    interface Executable {
        void execute() throws Exception;
    }

    @Property(tries = 3000)
    void damagedCheckpointsLoadOrAreRefused(@ForAll("damagedCheckpoints") byte[] file) throws IOException {
        Path p = Files.write(dir.resolve("ck.safetensors"), file);
        expectCleanOutcome("checkpoint", () -> SavedJointModel.open(p));
    }

    @Property(tries = 3000)
    void damagedCompactFilesLoadOrAreRefused(@ForAll("damagedCompactFiles") byte[] file) throws IOException {
        Path p = Files.write(dir.resolve("m.safetensors"), file);
        Files.writeString(dir.resolve("m.vocab.json"), vocab);
        expectCleanOutcome("compact file", () -> SavedJointModel.open(p));
    }

    @Provide
    Arbitrary<String> damagedConfigs() {
        return Arbitraries.longs().map(seed -> {
            Random r = new Random(seed);
            StringBuilder b = new StringBuilder(config);
            String junk = "{}[]\":,0123456789-eE.nultrfa ";
            for (int k = 1 + r.nextInt(4); k > 0 && b.length() > 0; k--) {
                int at = r.nextInt(b.length());
                switch (r.nextInt(3)) {
                    case 0 -> b.setCharAt(at, junk.charAt(r.nextInt(junk.length())));
                    case 1 -> b.deleteCharAt(at);
                    default -> b.insert(at, junk.charAt(r.nextInt(junk.length())));
                }
            }
            return b.toString();
        });
    }

    @Property(tries = 1500)
    void damagedConfigurationsParseOrAreRefused(@ForAll("damagedConfigs") String json) {
        expectCleanOutcome("config JSON", () -> {
            TransformerConfig c = TransformerConfigJson.read(json, "fuzz");
            if (c.vocab() < 1) {
                fail("accepted a configuration with vocabulary " + c.vocab());
            }
        });
    }

    /** Three line-aligned files of a split: mostly well-formed utterances, some with one corruption. */
    private static String[] split(Random r) {
        String[] words = {"flights", "from", "boston", "to", "denver", "\u00e9t\u00e9", "x"};
        String[] tagSet = {"O", "B-fromloc", "I-fromloc", "B-toloc"};
        StringBuilder in = new StringBuilder(), out = new StringBuilder(), label = new StringBuilder();
        for (int u = 1 + r.nextInt(3); u > 0; u--) {
            int n = 1 + r.nextInt(6);
            List<String> tokens = new java.util.ArrayList<>(), tags = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                tokens.add(words[r.nextInt(words.length)]);
                tags.add(tagSet[r.nextInt(tagSet.length)]);
            }
            String intent = "atis_flight";
            switch (r.nextInt(12)) {
                case 0 -> tags.remove(0);
                case 1 -> tags.add("O");
                case 2 -> tags.set(0, new String[] {"B-", "X-y", "o", "I", "\t"}[r.nextInt(5)]);
                case 3 -> intent = new String[] {"", " ", "two words", "a\tb"}[r.nextInt(4)];
                case 4 -> tokens.set(0, "\r");
                case 5 -> tokens.clear();
                default -> { }
            }
            in.append(String.join(r.nextBoolean() ? " " : "  ", tokens)).append(r.nextInt(10) == 0 ? "\r\n" : "\n");
            out.append(String.join(" ", tags)).append('\n');
            label.append(intent).append('\n');
        }
        if (r.nextInt(10) == 0) {
            label.append("extra\n"); // line counts differ
        }
        return new String[] {in.toString(), out.toString(), label.toString()};
    }

    @Property(tries = 3000)
    void corpusFilesReadOrAreRefused(@ForAll long seed) throws IOException {
        String[] f = split(new Random(seed));
        Path dirOfSplit = Files.createDirectories(dir.resolve("split"));
        Files.writeString(dirOfSplit.resolve("seq.in"), f[0], StandardCharsets.UTF_8);
        Files.writeString(dirOfSplit.resolve("seq.out"), f[1], StandardCharsets.UTF_8);
        Files.writeString(dirOfSplit.resolve("label"), f[2], StandardCharsets.UTF_8);
        expectCleanOutcome("corpus", () -> {
            List<Utterance> u = IntentSlotCorpus.read(dirOfSplit);
            for (Utterance x : u) {
                if (x.tokens().size() != x.tags().size() || x.tokens().isEmpty() || x.intent().isBlank()) {
                    fail("accepted a malformed utterance " + x);
                }
            }
        });
    }
}
