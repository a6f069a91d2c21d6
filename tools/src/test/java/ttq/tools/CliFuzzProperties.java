package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import ttq.engine.io.SafeTensorsWriter;

/**
 * Fuzzing the command line's file inputs: structurally random {@code tt-apply} cases (cores of any
 * rank and size, missing or extra tensors, wrong dtypes, out-of-range ids, bad quantization
 * metadata) and damaged experiment configurations (JSON and YAML) through {@code ttq train --config}.
 * Every run must end with exit code 0, 1 or 2 and, when it fails, one line on stderr carrying the
 * project's message, never an unexpected exception's class name or a JVM error (10 s per try).
 * 3,000 tries in all.
 */
class CliFuzzProperties {
    private static Path dir;
    private static final Map<String, Integer> OUTCOMES = new ConcurrentSkipListMap<>();

    @BeforeContainer
    static void make() throws IOException {
        dir = Files.createTempDirectory("ttq-cli-fuzz-");
    }

    @AfterContainer
    static void clean() throws IOException {
        System.out.println("CLI fuzzing outcomes: " + OUTCOMES);
        MainTest.deleteTree(dir);
    }

    private static void expectCleanExit(String what, String... args) {
        MainTest.Result r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> MainTest.run(args), what + ": no answer within 10 s");
        String reason = r.err().strip().replace(dir.toString(), "").replaceAll("'[^']*'", "Q").replaceAll("[0-9]+", "N");
        OUTCOMES.merge(what + ": exit " + r.code() + (r.code() == 0 ? "" : " (" + reason.substring(0, Math.min(48, reason.length())) + ")"), 1,
                Integer::sum);
        assertTrue(r.code() == 0 || r.code() == Main.EXIT_DATA || r.code() == Main.EXIT_USAGE, what + ": exit " + r.code() + "\n" + r.err());
        if (r.code() != 0) {
            String err = r.err().strip();
            assertTrue(err.lines().count() == 1 && err.startsWith("ttq: "), what + ": " + err);
            assertTrue(!err.matches("ttq: [A-Za-z.]*(Exception|Error): .*"), what + ": an unexpected exception: " + err);
            if (what.equals("tt-apply")) {
                assertTrue(err.contains("case.safetensors"), what + ": the message does not name the case file: " + err);
            }
        }
    }

    private static int[] shape(Random r, int rank) {
        int[] s = new int[rank];
        for (int i = 0; i < rank; i++) {
            s[i] = r.nextInt(8) == 0 ? r.nextInt(3) : 1 + r.nextInt(4); // zero-sized axes now and then
        }
        return s;
    }

    private static float[] values(Random r, int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(50) == 0 ? Float.NaN : (float) r.nextGaussian();
        }
        return v;
    }

    @Property(tries = 1500)
    void randomTtApplyCasesEndCleanly(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        Path in = dir.resolve("case.safetensors"), out = dir.resolve("result.safetensors");
        if (r.nextBoolean()) { // a valid TT layer case, half of the time with one thing broken
            validCase(r, r.nextBoolean()).write(in);
            expectCleanExit("tt-apply", "tt-apply", "--in", in.toString(), "--out", out.toString());
            return;
        }
        SafeTensorsWriter w = new SafeTensorsWriter();
        int k = r.nextInt(5), rank = 3 + r.nextInt(2) - (r.nextInt(10) == 0 ? 2 : 0);
        int prev = 1;
        for (int i = 0; i < k; i++) {
            int[] s = shape(r, rank);
            if (s.length > 0 && r.nextInt(4) != 0) {
                s[0] = prev; // mostly chained ranks, sometimes not
            }
            if (i == k - 1 && s.length > 0 && r.nextInt(4) != 0) {
                s[s.length - 1] = 1;
            }
            prev = s.length > 0 ? s[s.length - 1] : 1;
            w.putF32("core." + i, values(r, s), s);
        }
        switch (r.nextInt(3)) {
            case 0 -> {
                int[] s = shape(r, 1 + r.nextInt(3));
                w.putF32("x", values(r, s), s);
            }
            case 1 -> {
                int n = r.nextInt(5);
                long[] ids = new long[n];
                for (int i = 0; i < n; i++) {
                    ids[i] = r.nextInt(6) == 0 ? r.nextLong() : r.nextInt(40) - 4;
                }
                w.putI64("ids", ids, n);
            }
            default -> { // neither, or ids as floats
                if (r.nextBoolean()) {
                    w.putF32("ids", new float[] {1f, 2f}, 2);
                }
            }
        }
        int[] g = shape(r, 1 + r.nextInt(3));
        w.putF32("gy", values(r, g), g);
        if (r.nextBoolean()) {
            w.putF32("scale", new float[] {r.nextBoolean() ? 0.1f : (r.nextBoolean() ? -1f : Float.NaN)}, 1);
            w.metadata("bits", new String[] {"8", "4", "2", "3", "x", ""}[r.nextInt(6)]);
        }
        if (r.nextInt(10) == 0) {
            w.putF32("extra", new float[] {1f}, 1);
        }
        w.write(in);
        expectCleanExit("tt-apply", "tt-apply", "--in", in.toString(), "--out", out.toString());
    }

    /** A TT layer case (d mode pairs, chained ranks, x [B, N], gy [B, M]); with {@code broken}, one tensor or value is wrong. */
    private static SafeTensorsWriter validCase(Random r, boolean broken) {
        SafeTensorsWriter w = new SafeTensorsWriter();
        int d = 1 + r.nextInt(2), b = 1 + r.nextInt(3), m = 1, n = 1;
        int[] dims = new int[2 * d], ranks = new int[2 * d + 1];
        ranks[0] = 1;
        ranks[2 * d] = 1;
        for (int k = 0; k < 2 * d; k++) {
            dims[k] = 1 + r.nextInt(3);
            if (k > 0) {
                ranks[k] = 1 + r.nextInt(3);
            }
            if (k < d) {
                m *= dims[k];
            } else {
                n *= dims[k];
            }
        }
        int spoil = broken ? r.nextInt(6) : -1;
        for (int k = 0; k < 2 * d; k++) {
            int[] s = {ranks[k], dims[k], ranks[k + 1]};
            if (spoil == 0 && k == 2 * d - 1) {
                s[2] = 2; // the last rank is not 1
            }
            w.putF32("core." + k, values(r, s), s);
        }
        int[] xs = {b, spoil == 1 ? n + 1 : n}, gs = {b, spoil == 2 ? m + 1 : m};
        w.putF32("x", values(r, xs), xs);
        w.putF32("gy", values(r, gs), gs);
        if (spoil == 3 || r.nextBoolean()) {
            w.putF32("scale", new float[] {spoil == 3 ? -0.5f : 0.05f}, 1);
            w.metadata("bits", spoil == 4 ? "16" : new String[] {"8", "4", "2"}[r.nextInt(3)]);
        }
        if (spoil == 5) {
            w.putI64("ids", new long[] {1, 2}, 2);
        }
        return w;
    }

    private static final String JSON = "{\"model\": \"tt\", \"bits\": 4, \"rank\": 20, \"epochs\": 2, \"batch\": 16, \"lr\": 0.001, "
            + "\"schedule\": \"linear\", \"unk-replace\": 0.1}";
    private static final String YAML = "model: tt\nbits: 4\nrank: 20\nepochs: 2\nbatch: 16\nlr: 0.001\nschedule: linear\n";

    @Property(tries = 1500)
    void damagedConfigurationsEndCleanly(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        boolean yaml = r.nextBoolean();
        StringBuilder b = new StringBuilder(yaml ? YAML : JSON);
        String junk = yaml ? ":-\n #[]{}'\"0123456789abc\t&*!|>" : "{}[]\":,0123456789-eE.nultrfa\\ ";
        for (int k = 1 + r.nextInt(4); k > 0 && b.length() > 0; k--) {
            int at = r.nextInt(b.length());
            switch (r.nextInt(3)) {
                case 0 -> b.setCharAt(at, junk.charAt(r.nextInt(junk.length())));
                case 1 -> b.deleteCharAt(at);
                default -> b.insert(at, junk.charAt(r.nextInt(junk.length())));
            }
        }
        Path config = Files.writeString(dir.resolve(yaml ? "exp.yaml" : "exp.json"), b.toString());
        // a corpus folder that does not exist: a configuration that parses ends at the data check, not in training
        expectCleanExit("config " + (yaml ? "YAML" : "JSON"), "train", "--config", config.toString(), "--data", dir.resolve("no-corpus").toString(),
                "--out", dir.resolve("run").toString());
    }
}
