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
        List<String> inLines = TextLines.read(in), outLines = TextLines.read(out), labelLines = TextLines.read(label);
        if (inLines.isEmpty()) {
            throw new DataFormatException(in + ": the " + dir.getFileName() + " split is empty (no utterances)");
        }
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

    /**
     * The warning for the utterances of a split longer than {@code maxLength} tokens (the batcher cuts
     * them to their first maxLength tokens), or null when none is: their count, the longest and its line.
     */
    public static String truncationWarning(Path dir, List<Utterance> split, int maxLength) {
        int over = 0, longest = 0, longestLine = 0;
        for (int i = 0; i < split.size(); i++) {
            int n = split.get(i).tokens().size();
            if (n > maxLength) {
                over++;
                if (n > longest) {
                    longest = n;
                    longestLine = i + 1;
                }
            }
        }
        if (over == 0) {
            return null;
        }
        return String.format(java.util.Locale.ROOT, "warning: %s: %d utterance%s longer than %d tokens (the longest %d tokens, seq.in:%d) "
                + "cut to the first %d (--max-len)", dir, over, over == 1 ? " is" : "s are", maxLength, longest, longestLine, maxLength,
                maxLength);
    }

    private static List<String> split(String line) {
        String t = line.trim();
        return t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+"));
    }
}
