package ttq.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import ttq.tools.bench.OpsBenchCommand;
import ttq.tools.bench.TtBenchCommand;
import ttq.tools.bench.Int8BenchCommand;
import ttq.tools.bench.StepBenchCommand;
import ttq.tools.bench.InferBenchCommand;
import ttq.tools.bench.OnnxBenchCommand;

/** {@code ttq bench ...}: benchmarks that print a table and can write CSV/JSON/Markdown. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run benchmarks (tables measured in one run).",
        subcommands = {OpsBenchCommand.class, TtBenchCommand.class, Int8BenchCommand.class, StepBenchCommand.class, InferBenchCommand.class, OnnxBenchCommand.class})
public final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
