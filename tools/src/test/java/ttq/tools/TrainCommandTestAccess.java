package ttq.tools;

import java.io.IOException;
import java.nio.file.Path;

/** Lets tests in other packages use {@link TrainCommandTest}'s ATIS slice. */
public final class TrainCommandTestAccess {
    private TrainCommandTestAccess() {
    }

    /** The first 48 / 16 / 16 utterances of the bundled ATIS splits under corpus. */
    public static void slice(Path corpus) throws IOException {
        TrainCommandTest.sliceAtisInto(corpus);
    }
}
