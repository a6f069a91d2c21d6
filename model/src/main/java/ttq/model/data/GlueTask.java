package ttq.model.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The GLUE tasks ttq reads (TSV files as described in ../shared/data/glue/README.md): SST-2
 * (single sentences, sentiment), MRPC and RTE (sentence pairs). Files may start with a UTF-8
 * byte-order mark; fields are split on tabs only (sentences contain quotes).
 */
public enum GlueTask {
    SST2("SST-2", false), MRPC("MRPC", true), RTE("RTE", true);

    private final String folder;
    private final boolean pairs;

    GlueTask(String folder, boolean pairs) {
        this.folder = folder;
        this.pairs = pairs;
    }

    /** The folder name under a GLUE data directory (SST-2, MRPC, RTE). */
    public String folder() {
        return folder;
    }

    /** Whether examples are sentence pairs (MRPC, RTE) rather than single sentences (SST-2). */
    public boolean pairs() {
        return pairs;
    }

    /** Task from its CLI name (sst2, mrpc, rte; case-insensitive, the dash optional). */
    public static GlueTask parse(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace("-", "");
        for (GlueTask t : values()) {
            if (t.name().toLowerCase(Locale.ROOT).equals(n)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown GLUE task '" + name + "' (sst2, mrpc, rte)");
    }

    /** One example: a sentence (second is null) or a pair, and the label 0/1. */
    public record Example(String first, String second, int label) {
    }

    /** Reads {@code DIR/<folder>/<split>.tsv} (split: train or dev). */
    public List<Example> read(Path dataDir, String split) throws IOException {
        return read(dataDir.resolve(folder).resolve(split + ".tsv"));
    }

    /** Reads one TSV file of this task; a malformed line is an error naming the file and line. */
    public List<Example> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DataFormatException(file + ": file not found");
        }
        List<String> lines = TextLines.read(file);
        List<Example> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) { // line 1 is the header
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            String where = file + ":" + (i + 1);
            switch (this) {
                case SST2 -> {
                    if (f.length != 2) {
                        throw new DataFormatException(where + ": expected 2 tab-separated fields (sentence, label), got " + f.length);
                    }
                    out.add(new Example(f[0].strip(), null, label(f[1], where)));
                }
                case MRPC -> {
                    if (f.length != 5) {
                        throw new DataFormatException(where + ": expected 5 tab-separated fields (Quality, #1 ID, #2 ID, #1 String, "
                                + "#2 String), got " + f.length);
                    }
                    out.add(new Example(f[3], f[4], label(f[0], where)));
                }
                case RTE -> {
                    if (f.length != 4) {
                        throw new DataFormatException(where + ": expected 4 tab-separated fields (sentence1, sentence2, label, idx), got "
                                + f.length);
                    }
                    out.add(new Example(f[0], f[1], label(f[2], where)));
                }
            }
        }
        if (out.isEmpty()) {
            throw new DataFormatException(file + ": no examples");
        }
        if (out.isEmpty()) {
            throw new DataFormatException(file + ": no examples after the header line");
        }
        return out;
    }

    /** The first {@code limit} examples of a seeded shuffle (all of them, in file order, when limit is null or not smaller). */
    public static List<Example> sample(List<Example> examples, Integer limit, long seed) {
        if (limit == null || limit >= examples.size()) {
            return examples;
        }
        List<Example> shuffled = new ArrayList<>(examples);
        java.util.Collections.shuffle(shuffled, new java.util.Random(seed));
        return List.copyOf(shuffled.subList(0, limit));
    }

    private static int label(String s, String where) throws DataFormatException {
        String t = s.strip();
        if (t.equals("0") || t.equals("1")) {
            return t.charAt(0) - '0';
        }
        throw new DataFormatException(where + ": label '" + s + "' is not 0 or 1");
    }
}
