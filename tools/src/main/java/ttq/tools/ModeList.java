package ttq.tools;

import java.util.Arrays;

/** Parses comma-separated positive integers ("24,32") for mode and rank options. */
public final class ModeList {
    private ModeList() {
    }

    public static int[] parse(String option, String text) {
        if (text == null || text.isBlank()) {
            throw new UsageException(option + " needs a comma-separated list of positive integers");
        }
        try {
            int[] v = Arrays.stream(text.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            for (int x : v) {
                if (x < 1) {
                    throw new UsageException(option + ": values must be >= 1, got '" + text + "'");
                }
            }
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException(option + ": '" + text + "' is not a comma-separated list of integers");
        }
    }
}
