package ttq.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jfree.data.xy.XYSeries;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import ttq.model.data.DataFormatException;
import ttq.model.metrics.ConllEval;
import ttq.tools.bench.BenchTable;

/**
 * {@code ttq reproduce atis-table2}: trains the five rows of the paper's Table 2 (full-size FP32,
 * TT FP32, TT INT8, TT INT4, TT INT2) and writes atis-table2.md/.csv with the paper's numbers beside
 * ours, and atis-table2.png: model size (log scale) against intent accuracy and slot F1.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Reproduce a paper table: atis-table2 (five ATIS trainings) or glue-table4 (teacher fine-tuning and distilled "
                + "students on SST-2 and MRPC); table and plot.")
public final class ReproduceCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Which table: atis-table2 or glue-table4.")
    String table;

    @Option(names = "--teacher", defaultValue = "minilm", description = "glue-table4: pretrained encoder (default ${DEFAULT-VALUE}).")
    String teacher;

    @Option(names = "--glue-data", defaultValue = "test-data/glue", description = "glue-table4: GLUE folder (default ${DEFAULT-VALUE}).")
    Path glueData;

    @Option(names = "--tasks", split = ",", defaultValue = "sst2,mrpc", description = "glue-table4: tasks (default ${DEFAULT-VALUE}).")
    List<String> tasks;

    @Option(names = "--ranks", defaultValue = "30,50", description = "glue-table4: two TT ranks (default ${DEFAULT-VALUE}).")
    String ranks;

    @Option(names = "--budget", defaultValue = "small", description = "glue-table4: small (every row at the options below, files "
            + "glue-table4-N.* for N training examples) or full (the teachers and students at the budgets that met the bars, hours per "
            + "row on 2 cores, files glue-table4.*; finished run folders are reused, others resumed). Default ${DEFAULT-VALUE}.")
    String budget;

    @Option(names = "--train-limit", defaultValue = "2000", description = "glue-table4: distillation examples per task, 0 = all "
            + "(default ${DEFAULT-VALUE}).")
    int trainLimit;

    @Option(names = "--finetune-limit", defaultValue = "0", description = "glue-table4: teacher fine-tuning examples, 0 = all (default ${DEFAULT-VALUE}).")
    int finetuneLimit;

    @Option(names = "--finetune-epochs", defaultValue = "3", description = "glue-table4: teacher epochs (default ${DEFAULT-VALUE}).")
    int finetuneEpochs;

    @Option(names = "--finetune-lr", defaultValue = "1e-4", description = "glue-table4: teacher learning rate (default ${DEFAULT-VALUE}).")
    float finetuneLr;

    @Option(names = "--phase-epochs", defaultValue = "1", description = "glue-table4: epochs per layer loss (default ${DEFAULT-VALUE}).")
    int phaseEpochs;

    @Option(names = "--final-epochs", defaultValue = "1", description = "glue-table4: epochs of L_all (default ${DEFAULT-VALUE}).")
    int finalEpochs;

    @Option(names = "--epochs", defaultValue = "40", description = "Epochs per row (default ${DEFAULT-VALUE}, as the paper).")
    int epochs;

    @Option(names = "--data", defaultValue = "test-data/atis", description = "Corpus folder (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--out", defaultValue = "results", description = "Folder for the table, plot and the runs (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of every run (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--resume", description = "Continue unfinished rows and keep finished ones.")
    boolean resume;

    @Option(names = "--rank", defaultValue = "10", description = "atis-table2: TT rank of the TT rows' attention, feed-forward and "
            + "classifier linears (default ${DEFAULT-VALUE}, Table 1). Another rank writes atis-table2-rankR.* and runs in "
            + "atis-table2-rankR-runs.")
    int rank;

    @Option(names = "--embedding-rank", defaultValue = "30", description = "atis-table2: TTM rank of the TT rows' token embedding "
            + "(default ${DEFAULT-VALUE}, Table 1). Another rank adds -embP to the file and folder names.")
    int embeddingRank;

    @Option(names = "--rows", split = ",", paramLabel = "ROW", description = "Train only these rows (atis-table2: dense, tt-fp32, "
            + "tt-int8, tt-int4, tt-int2; glue-table4 --budget full: the run folder names, e.g. mrpc-teacher, mrpc-layerwise-r30-INT8); "
            + "the others appear when their run folder holds a finished run, else as 'not run'. Default: all.")
    List<String> rows;

    /**
     * A row of Table 2: our configuration and the paper's intent accuracy, slot F1 and size;
     * {@code extra} are train options the row needs beyond the paper's hyperparameters.
     */
    private record Row(String name, String model, int bits, double paperIntent, double paperSlot, double paperMb, List<String> extra) {
        /** The --rows key: dense, tt-fp32, tt-int8, ... */
        String key() {
            return model.equals("dense") ? "dense" : "tt-" + (bits == 32 ? "fp32" : "int" + bits);
        }
    }

    /** Table 1's rank of the TT linears. */
    private static final int TABLE1_RANK = 10;
    /** Table 1's TTM rank of the token embedding. */
    private static final int TABLE1_EMBEDDING_RANK = 30;

    private static final List<Row> ROWS = List.of(
            // the dense 768-wide post-LN encoder diverges at a constant lr 1e-3 (dev slot F1 72.7, 68.1, 65.5) and stalls at 1e-3
            // with warm-up (80.3 at epoch 2, 75.6 at epoch 7); at 3e-4 with warm-up it trains (90.9 at epoch 3)
            new Row("full-size FP32", "dense", 32, 95.2, 97.0, 63, List.of("--lr", "3e-4", "--schedule", "linear", "--warmup", "1")),
            new Row("TT FP32", "tt", 32, 96.0, 96.2, 3.3, List.of()),
            new Row("TT INT8", "tt", 8, 95.5, 96.1, 1.4, List.of()),
            new Row("TT INT4", "tt", 4, 94.3, 96.2, 1.1, List.of()),
            // at 2 bits max|w| / Q_p starts the scale where nearly every core value rounds to 0 (test slot F1 83.94 vs 89.03 with LSQ's start)
            new Row("TT INT2", "tt", 2, 93.6, 95.0, 1.0, List.of("--scale-init", "lsq")));

    @Override
    public Integer call() throws Exception {
        if (table.equals("glue-table4")) {
            int[] r = ModeList.parse("--ranks", ranks);
            for (String task : tasks) {
                if (!List.of("sst2", "mrpc", "rte").contains(task)) {
                    throw new UsageException("--tasks: unknown task '" + task + "' (sst2, mrpc, rte)");
                }
            }
            if (budget.equals("full")) {
                return GlueTable4Full.run(new GlueTable4Full.Settings(teacher, glueData, tasks, rows, seed, out));
            }
            UsageException.require(budget.equals("small"), "--budget must be small or full, got '" + budget + "'");
            UsageException.require(rows == null, "--rows selects rows of atis-table2 and of glue-table4 --budget full, not of the small budget");
            return GlueTable4.run(new GlueTable4.Settings(teacher, glueData, tasks, r, trainLimit, finetuneLimit, finetuneEpochs, finetuneLr, phaseEpochs,
                    finalEpochs, seed, resume, out));
        }
        if (!table.equals("atis-table2")) {
            throw new UsageException("unknown table '" + table + "' (available: atis-table2, glue-table4)");
        }
        if (epochs < 1) {
            throw new UsageException("--epochs must be >= 1");
        }
        if (rank < 1 || embeddingRank < 1) {
            throw new UsageException("--rank and --embedding-rank must be >= 1");
        }
        String name = "atis-table2" + (rank == TABLE1_RANK ? "" : "-rank" + rank)
                + (embeddingRank == TABLE1_EMBEDDING_RANK ? "" : "-emb" + embeddingRank);
        String ranksNote = (rank == TABLE1_RANK ? "" : ", TT rank " + rank + " where Table 1 has " + TABLE1_RANK)
                + (embeddingRank == TABLE1_EMBEDDING_RANK ? "" : ", embedding TTM rank " + embeddingRank + " where Table 1 has "
                + TABLE1_EMBEDDING_RANK);
        List<String> keys = ROWS.stream().map(Row::key).toList();
        if (rows != null) {
            for (String r : rows) {
                if (!keys.contains(r)) {
                    throw new UsageException("--rows: unknown row '" + r + "' (rows: " + String.join(", ", keys) + ")");
                }
            }
        }
        Path runs = out.resolve(name + "-runs");
        BenchTable t = new BenchTable("ATIS, paper Table 2 vs ttq (" + epochs + " epochs, seed " + seed
                + ranksNote + ")",
                List.of("model", "paper intent", "ttq intent", "paper slot F1", "ttq slot F1", "ttq slot decoding", "ttq slot token acc",
                        "ttq frame", "paper MB", "ttq MB", "ttq compression", "train s"));
        t.context("data", data.toString());
        t.context("runs", runs.toString() + " (each a `ttq train` run folder)");
        t.context("row options", ROWS.stream().filter(r -> !r.extra().isEmpty())
                .map(r -> r.name() + ": " + String.join(" ", r.extra())).collect(java.util.stream.Collectors.joining("; "))
                + " (the paper: Adam, lr 1e-3, batch 32)");
        // no auto-sort: item i stays row i, so labels match points
        XYSeries intent = new XYSeries("ttq intent accuracy", false), slot = new XYSeries("ttq slot F1", false);
        XYSeries paperIntent = new XYSeries("paper intent accuracy", false), paperSlot = new XYSeries("paper slot F1", false);
        List<String> labels = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (Row row : ROWS) {
            Path run = runs.resolve(row.name().replace(' ', '-').toLowerCase(Locale.ROOT));
            boolean selected = rows == null || rows.contains(row.key());
            boolean finished = Files.exists(run.resolve("results.json"));
            if (!selected && !finished) {
                t.row(row.name(), f(row.paperIntent()), "not run", f(row.paperSlot()), "not run", "", "", "", f(row.paperMb()), "", "", "");
                continue;
            }
            if (selected && !(resume && finished)) {
                List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--out", run.toString(),
                        "--model", row.model(), "--bits", String.valueOf(row.bits()), "--epochs", String.valueOf(epochs),
                        "--seed", String.valueOf(seed)));
                if (row.model().equals("tt")) {
                    args.addAll(List.of("--rank", String.valueOf(rank), "--embedding-rank", String.valueOf(embeddingRank)));
                }
                args.addAll(row.extra());
                int code = runRow(row.name(), args, run, resume);
                if (code != 0) {
                    return code;
                }
            }
            JsonNode r = json.readTree(run.resolve("results.json").toFile());
            checkRank(run, row, json);
            if (r.path("epochs").asInt(-1) != epochs) {
                throw new UsageException(run + " holds a run of " + r.path("epochs").asInt(-1) + " epochs, not " + epochs
                        + ": choose another --out or the same --epochs");
            }
            double mb = r.get("size_mb").asDouble();
            t.row(row.name(), f(row.paperIntent()), f(r.get("intent_acc").asDouble()), f(row.paperSlot()),
                    f(r.get("slot_f1").asDouble()), r.path("slot_decoding").asText("argmax"), f(slotTokenAccuracy(run, r)), f(r.get("frame_acc").asDouble()), f(row.paperMb()), String.format(Locale.ROOT, "%.3f", mb),
                    String.format(Locale.ROOT, "%.1fx", r.get("compression").asDouble()), String.format(Locale.ROOT, "%.0f", r.get("train_seconds").asDouble()));
            intent.add(mb, r.get("intent_acc").asDouble());
            slot.add(mb, r.get("slot_f1").asDouble());
            paperIntent.add(row.paperMb(), row.paperIntent());
            paperSlot.add(row.paperMb(), row.paperSlot());
            labels.add(row.name());
        }
        Files.createDirectories(out);
        t.write(out, name);
        SizeAccuracyPlot.write(out.resolve(name + ".png"), "ATIS: size vs accuracy (Table 2 rows" + ranksNote.replace(" where Table 1 has ", " vs ") + ")",
                "test score (%)",
                List.of(intent, slot, paperIntent, paperSlot), new int[] {0x1f77b4, 0xd62728, 0x9ecae1, 0xfcaeae}, labels);
        System.out.print(t.format());
        System.out.println("wrote " + out.resolve(name + ".{md,csv,json,png}"));
        return 0;
    }

    /**
     * Runs one row's command in this JVM, continuing its run with --resume when {@code resume} is set and
     * the run folder holds a checkpoint; announces the row first. Returns the command's exit code.
     */
    static int runRow(String label, List<String> args, Path run, boolean resume) {
        List<String> a = new ArrayList<>(args);
        if (resume && Files.exists(run.resolve("checkpoint.safetensors"))) {
            a.add("--resume");
        }
        System.out.println("== " + label);
        return Main.run(a.toArray(new String[0]));
    }

    /** A TT run folder whose resolved config.json names other ranks is refused (runs before config.json: trusted). */
    private void checkRank(Path run, Row row, ObjectMapper json) throws java.io.IOException {
        Path config = run.resolve("config.json");
        if (!row.model().equals("tt") || !Files.exists(config)) {
            return;
        }
        JsonNode c = json.readTree(config.toFile());
        if (c.has("rank") && c.get("rank").asInt() != rank) {
            throw new UsageException(run + " holds a run of TT rank " + c.get("rank").asInt() + ", not " + rank
                    + ": choose another --out or the same --rank");
        }
        if (c.has("embedding-rank") && c.get("embedding-rank").asInt() != embeddingRank) {
            throw new UsageException(run + " holds a run of embedding rank " + c.get("embedding-rank").asInt() + ", not "
                    + embeddingRank + ": choose another --out or the same --embedding-rank");
        }
    }

    /** From results.json, or (runs written before it held the key) recomputed from the run's conlleval file. */
    private static double slotTokenAccuracy(Path run, JsonNode results) throws java.io.IOException {
        if (results.has("slot_token_acc")) {
            return results.get("slot_token_acc").asDouble();
        }
        Path slots = run.resolve("test_slots.txt");
        if (!Files.exists(slots)) {
            throw new DataFormatException(run + ": results.json has no slot_token_acc and test_slots.txt is missing");
        }
        return ConllEval.evaluateSentences(ConllEval.read(slots)).accuracy();
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
