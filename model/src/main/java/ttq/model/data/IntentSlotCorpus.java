package ttq.model.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads one split of an intent + slot corpus in the ATIS layout (Goo et al. 2018): a folder with
 * line-aligned {@code seq.in} (space-separated tokens), {@code seq.out} (one BIO tag per token)
 * and {@code label} (the intent). Any corpus in this layout works unchanged.
 */
public final class IntentSlotCorpus {
    private IntentSlotCorpus() {
    }

    /** Reads split folder {@code dir}; malformed lines raise {@link DataFormatException} naming file and line. */
    public static List<Utterance> read(Path dir) throws IOException {
        Path in = dir.resolve("seq.in"), out = dir.resolve("seq.out"), label = dir.resolve("label");
        for (Path p : List.of(in, out, label)) {
            if (!Files.isRegularFile(p)) {
                throw new DataFormatException(p + ": missing (an intent/slot split needs seq.in, seq.out and label)");
            }
        }
        List<String> inLines = lines(in), outLines = lines(out), labelLines = lines(label);
        if (inLines.size() != outLines.size() || inLines.size() != labelLines.size()) {
            throw new DataFormatException(dir + ": line counts differ: seq.in " + inLines.size() + ", seq.out "
                    + outLines.size() + ", label " + labelLines.size());
        }
        List<Utterance> result = new ArrayList<>(inLines.size());
        for (int i = 0; i < inLines.size(); i++) {
            List<String> tokens = split(inLines.get(i));
            List<String> tags = split(outLines.get(i));
            String intent = labelLines.get(i).trim();
            if (tokens.isEmpty()) {
                throw new DataFormatException(in + ":" + (i + 1) + ": empty utterance");
            }
            if (tokens.size() != tags.size()) {
                throw new DataFormatException(out + ":" + (i + 1) + ": " + tags.size() + " tags for " + tokens.size()
                        + " tokens in " + in.getFileName() + ":" + (i + 1));
            }
            if (intent.isEmpty() || intent.contains(" ")) {
                throw new DataFormatException(label + ":" + (i + 1) + ": intent must be one non-empty word, got '" + intent + "'");
            }
            for (String t : tags) {
                if (!t.equals("O") && !t.startsWith("B-") && !t.startsWith("I-")) {
                    throw new DataFormatException(out + ":" + (i + 1) + ": tag '" + t + "' is not O, B-x or I-x");
                }
            }
            result.add(new Utterance(tokens, tags, intent));
        }
        return result;
    }

    private static List<String> lines(Path p) throws IOException {
        List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
        // a final newline is normal; a trailing empty line beyond it is not data
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    private static List<String> split(String line) {
        String t = line.trim();
        return t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+"));
    }
}
