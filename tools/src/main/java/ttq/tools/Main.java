package ttq.tools;

import java.io.IOException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code ttq} command line. Errors are reported in one line on stderr: exit code 1 for bad
 * data or a failed run, 2 for bad usage; {@code --verbose} adds the stack trace.
 */
@Command(name = "ttq", mixinStandardHelpOptions = true, versionProvider = Versions.class,
        description = "Quantization-aware training of tensor-train compressed transformers.",
        subcommands = {TrainCommand.class, ReproduceCommand.class, InfoCommand.class, BenchCommand.class, DemoCommand.class, PlanCommand.class, TtApplyCommand.class, SizeCommand.class, ExportCommand.class, EvalCommand.class, PredictCommand.class, ServeCommand.class, EmbedCommand.class, FinetuneCommand.class, DistillCommand.class, SweepCommand.class, ReportCommand.class, SoakCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code for bad data (malformed files, NaN losses) and failed runs. */
    public static final int EXIT_DATA = 1;
    /** Exit code for bad usage (unknown options, invalid values). */
    public static final int EXIT_USAGE = 2;

    static boolean verbose;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    void setVerbose(boolean v) {
        verbose = v;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true"); // plots are rendered to PNG files, never to a screen
        int child = JvmRelaunch.maybeRelaunch(args);
        System.exit(child >= 0 ? child : run(args));
    }

    /** Runs the CLI and returns the exit code (used by tests). */
    public static int run(String... args) {
        verbose = false;
        for (String a : args) {
            if (a.equals("--verbose")) {
                verbose = true; // known before parsing, so even usage errors can show traces
            }
        }
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((ex, params) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("ttq: " + oneLine(ex.getMessage()) + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            int code = ex instanceof UsageException || ex instanceof CommandLine.ParameterException ? EXIT_USAGE : EXIT_DATA;
            String kind = ex instanceof IOException || ex instanceof UsageException || ex instanceof IllegalArgumentException
                    || ex instanceof ArithmeticException || ex instanceof IndexOutOfBoundsException ? "" : ex.getClass().getSimpleName() + ": ";
            err.println("ttq: " + kind + oneLine(String.valueOf(ex.getMessage())) + (verbose ? "" : " (--verbose for details)"));
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return code;
        });
        try {
            args = ExperimentConfig.expand(cli, args);
        } catch (UsageException e) {
            System.err.println("ttq: " + oneLine(e.getMessage()));
            return EXIT_USAGE;
        } catch (IOException e) {
            System.err.println("ttq: " + oneLine(e.getMessage()));
            return EXIT_DATA;
        }
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) { // an Error, so picocli's handler never sees it
            System.err.println("ttq: out of memory (Java heap of " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB): give the JVM more "
                    + "(TTQ_JVM_OPTS=-Xmx16g, or -Xmx when TTQ_NO_RELAUNCH is set) or use a smaller --batch" + (verbose ? "" : " (--verbose for details)"));
            if (verbose) {
                e.printStackTrace();
            }
            return EXIT_DATA;
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }
}
