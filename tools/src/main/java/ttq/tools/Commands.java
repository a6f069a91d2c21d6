package ttq.tools;

import java.io.IOException;
import ttq.model.train.RunMismatchException;
import ttq.model.train.Trainer;

/** What the training commands share around the library's {@link Trainer}. */
final class Commands {
    private Commands() {
    }

    /** Runs a trainer; a run that cannot start as asked (existing run, other settings, stop point passed) is a usage error. */
    static Trainer.Result run(Trainer<?> trainer) throws IOException {
        try {
            return trainer.run();
        } catch (RunMismatchException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** {@link Trainer#refuseExistingRun} as a usage error. */
    /** Prints a warning (one line, "ttq: warning: ...") on stderr; null prints nothing. */
    static void warn(String warning) {
        if (warning != null) {
            System.err.println("ttq: " + warning);
        }
    }

    static void refuseExistingRun(java.nio.file.Path out, boolean resume) {
        try {
            Trainer.refuseExistingRun(out, resume);
        } catch (RunMismatchException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** The GLUE task named (sst2, mrpc, rte), or a usage error. */
    static ttq.model.data.GlueTask glueTask(String name) {
        try {
            return ttq.model.data.GlueTask.parse(name);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** The value, or a usage error when the library refuses the options it was made from (an {@link IllegalArgumentException}). */
    static <T> T usage(java.util.function.Supplier<T> make) {
        return usage("", make);
    }

    /** As {@link #usage(java.util.function.Supplier)}, the error message after the option's name ("--pooling"). */
    static <T> T usage(String option, java.util.function.Supplier<T> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException(option.isEmpty() ? e.getMessage() : option + ": " + e.getMessage());
        }
    }
}
