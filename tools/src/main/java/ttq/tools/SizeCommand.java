package ttq.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.engine.io.SafeTensors;
import ttq.model.quant.CompactExport;
import ttq.model.size.LayerCost;
import ttq.model.size.LayerSpec;
import ttq.model.size.ModelSpec;
import ttq.model.size.ModelSpecJson;
import ttq.model.size.Precision;
import ttq.model.size.SizePresets;
import ttq.model.size.SizeReport;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;
import ttq.model.transformer.TransformerConfigJson;
import ttq.tools.bench.BenchTable;

/**
 * {@code ttq size}: parameters, bytes at FP32/INT8/INT4/INT2 and forward FLOPs per layer and in
 * total for a paper preset or a JSON model file ({@link ModelSpecJson}), with compression ratios
 * against the same model dense in FP32 and the paper's reported numbers as reference text.
 * MB are 10^6 bytes. A bad --preset name is a usage error (exit 2); an unreadable or malformed
 * model file is bad data (exit 1).
 */
@Command(name = "size", mixinStandardHelpOptions = true,
        description = "Parameters, size (FP32/INT8/INT4/INT2) and FLOPs per layer and per model, with compression ratios.")
public final class SizeCommand implements Callable<Integer> {
    static final double MB = 1e6;

    @Option(names = "--preset", paramLabel = "PRESET|FILE",
            description = "atis-table1, bert-base-table3, or a JSON model file (see test-data/size/).")
    String preset;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "Instead of --preset: the model of a training checkpoint or compact file (its own vocabulary, labels, bits).")
    Path checkpoint;

    @Option(names = "--tokens", description = "Rows of the forward pass the FLOPs are counted for (default: the model's; "
            + "atis-table1 768, bert-base-table3 128).")
    Integer tokens;

    @Option(names = "--rank", description = "TT/TTM rank of bert-base-table3 (default " + SizePresets.BERT_DEFAULT_RANK + ").")
    Integer rank;

    @Option(names = "--json", description = "Print JSON instead of tables.")
    boolean json;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write size.csv, size.json and size.md into DIR.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (tokens != null && tokens < 1) {
            throw new UsageException("--tokens must be >= 1, got " + tokens);
        }
        if (rank != null && rank < 1) {
            throw new UsageException("--rank must be >= 1, got " + rank);
        }
        if (rank != null && preset != null && !preset.equals(SizePresets.BERT)) {
            throw new UsageException("--rank applies to " + SizePresets.BERT + " only (" + SizePresets.ATIS
                    + " has Table 1's ranks; a model file gives its own)");
        }
        if ((preset == null) == (checkpoint == null)) {
            throw new UsageException("give one of --preset and --checkpoint");
        }
        int bertRank = rank == null ? SizePresets.BERT_DEFAULT_RANK : rank;
        ModelSpec spec;
        TransformerConfig checkpointConfig = null;
        if (checkpoint != null) {
            if (rank != null) {
                throw new UsageException("--rank applies to " + SizePresets.BERT + " only");
            }
            if (!Files.isRegularFile(checkpoint)) {
                throw new UsageException("--checkpoint " + checkpoint + ": no such file");
            }
            TransformerConfig c = TransformerConfigJson.read(SafeTensors.read(checkpoint).metadata().get("config"), checkpoint.toString());
            checkpointConfig = c;
            spec = c.sizeSpec(checkpoint.getFileName() + " (" + c.format() + (c.bits() == 32 ? " FP32" : " INT" + c.bits()) + ")", 32 * 24);
        } else if (SizePresets.isPreset(preset)) {
            try {
                spec = SizePresets.get(preset, bertRank);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        } else if (looksLikeFile(preset)) {
            spec = ModelSpecJson.read(Path.of(preset));
        } else {
            throw new UsageException("unknown preset '" + preset + "' (presets: " + String.join(", ", SizePresets.names())
                    + "; or the path of a JSON model file)");
        }
        SizeReport report = SizeReport.of(spec, tokens != null ? tokens : spec.tokens());
        PaperSizeReference paper = preset == null ? null : PaperSizeReference.forPreset(preset, bertRank);
        if (json) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toJson(report, paper)));
        } else {
            BenchTable table = layerTable(report);
            System.out.print(table.format());
            System.out.println();
            summary(report).forEach((k, v) -> System.out.printf(Locale.ROOT, "%-16s %s%n", k, v));
            System.out.println();
            BenchTable comparison = comparison(report, paper);
            System.out.print(comparison.format());
            if (checkpointConfig != null) {
                TransformerConfig c = checkpointConfig;
                Precision own = Precision.of(c.bits());
                long file = CompactExport.fileBytes(new JointIntentSlotModel(c, 0), ExportCommand.metadata(c, checkpoint));
                System.out.printf(Locale.ROOT, "%nthis model at its precision (%s): %d bytes of tensors; its ttq export file: %d bytes "
                        + "(with the safetensors header: tensor names, shapes, configuration)%n", own.key(), report.bytes(own), file);
            }
        }
        if (out != null) {
            BenchTable table = layerTable(report);
            summary(report).forEach(table::context);
            BenchTable comparison = comparison(report, paper);
            for (List<String> row : comparison.rows()) {
                List<String> cells = new ArrayList<>();
                for (int c = 1; c < row.size(); c++) {
                    cells.add(comparisonColumns(report, paper).get(c) + " " + row.get(c));
                }
                table.context("compare " + row.get(0), String.join("; ", cells));
            }
            if (paper != null) {
                table.context("paper", paper.source() + (paper.note().isEmpty() ? "" : "; " + paper.note()));
            }
            table.write(out, "size");
            if (!json) {
                System.out.println("wrote " + out.resolve("size.csv") + ", size.json, size.md");
            }
        }
        return 0;
    }

    private static boolean looksLikeFile(String s) {
        return s.endsWith(".json") || s.contains("/") || s.contains(java.io.File.separator) || Files.exists(Path.of(s));
    }

    private static final List<Precision> PRECISIONS = List.of(Precision.values());

    private static BenchTable layerTable(SizeReport r) {
        List<String> cols = new ArrayList<>(List.of("layer", "kind", "weights", "shape", "modes (rows x cols)", "ranks", "count",
                "params", "bias"));
        for (Precision p : PRECISIONS) {
            cols.add("MB " + p);
        }
        cols.addAll(List.of("MFLOPs", "dense MFLOPs", "FLOPs ratio"));
        for (Precision p : PRECISIONS.subList(1, PRECISIONS.size())) {
            cols.add("qGFLOPs " + p);
        }
        BenchTable t = new BenchTable("ttq size: " + r.spec().name() + ", " + r.tokens() + " tokens", cols);
        t.context("units", "MB = 10^6 bytes; params = weights/cores per row (all copies), bias separately");
        t.context("weights", "INT = stored at the model precision (packed, one FP32 scale per layer); FP32 = kept in FP32; "
                + "biases, LayerNorms and tables marked FP32 are always 4 bytes per parameter");
        t.context("FLOPs", "forward over the tokens in the order the layer executes (TT: fused path or planned order); "
                + "dense = 2 * tokens * in * out; ratio = dense / ours; bias adds and attention scores not counted");
        t.context("qGFLOPs", "paper's count: b-bit x 8-bit products cost b*8/64 ops in quantized layers, FP32 layers count plain FLOPs");
        for (LayerCost c : r.layers()) {
            LayerSpec s = c.spec();
            List<String> row = new ArrayList<>(List.of(s.name(), s.kind().key(), s.quantized() ? "INT" : "FP32", s.shapeText(),
                    s.modesText(), ranks(c.ranks()), Integer.toString(s.count()), Long.toString(c.params()),
                    Long.toString(c.biasParams())));
            for (Precision p : PRECISIONS) {
                row.add(f(c.bytes(p) / MB, 4));
            }
            row.add(f(c.flops() / 1e6, 2));
            row.add(f(c.denseFlops() / 1e6, 2));
            row.add(c.flops() > 0 && c.denseFlops() > 0 ? f(c.denseFlops() / c.flops(), 1) + "x" : "-");
            for (Precision p : PRECISIONS.subList(1, PRECISIONS.size())) {
                row.add(f(c.quantizedFlops(p) / 1e9, 4));
            }
            t.row(row.toArray(new String[0]));
        }
        List<String> total = new ArrayList<>(List.of("total", "", "", "", "", "", "", Long.toString(r.params()),
                Long.toString(r.biasParams())));
        for (Precision p : PRECISIONS) {
            total.add(f(r.bytes(p) / MB, 4));
        }
        total.add(f(r.flops() / 1e6, 2));
        total.add(f(r.denseFlops() / 1e6, 2));
        total.add(f(r.denseFlops() / r.flops(), 1) + "x");
        for (Precision p : PRECISIONS.subList(1, PRECISIONS.size())) {
            total.add(f(r.quantizedFlops(p) / 1e9, 4));
        }
        t.row(total.toArray(new String[0]));
        return t;
    }

    /** Totals as labelled lines: params, size, FLOPs and FLOPs per group. */
    private static Map<String, String> summary(SizeReport r) {
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put("total params", String.format(Locale.ROOT, "%,d (%,d stored at the model precision, %,d FP32); dense FP32 model %,d",
                r.totalParams(), r.quantizedParams(), r.totalParams() - r.quantizedParams(), r.denseParams()));
        StringBuilder size = new StringBuilder(String.format(Locale.ROOT, "dense FP32 %s MB", f(r.denseBytes() / MB, 3)));
        for (Precision p : PRECISIONS) {
            size.append(String.format(Locale.ROOT, " | %s %s MB (%sx)", p, f(r.bytes(p) / MB, 3), f(r.compression(p), 1)));
        }
        lines.put("total size", size.toString());
        lines.put("total FLOPs", flopsLine(r.denseFlops(), r.flops(), r::quantizedFlops));
        if (r.groups().size() > 1) {
            for (String g : r.groups()) {
                if (r.denseFlops(g) > 0 || r.flops(g) > 0) {
                    lines.put(g + " FLOPs", flopsLine(r.denseFlops(g), r.flops(g), p -> r.quantizedFlops(g, p)));
                }
            }
        }
        return lines;
    }

    private static String flopsLine(double dense, double flops, Function<Precision, Double> quantized) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "dense %s G | ours %s G (%s)", g(dense / 1e9),
                g(flops / 1e9), ratio(dense, flops)));
        for (Precision p : PRECISIONS.subList(1, PRECISIONS.size())) {
            double q = quantized.apply(p);
            sb.append(String.format(Locale.ROOT, " | %s %s G (%s)", p, g(q / 1e9), ratio(dense, q)));
        }
        return sb.toString();
    }

    private static String ratio(double dense, double x) {
        return x > 0 && dense > 0 ? f(dense / x, 1) + "x" : "-";
    }

    /** Ours next to the paper's numbers (dashes where the paper reports none). */
    private static BenchTable comparison(SizeReport r, PaperSizeReference paper) {
        boolean encoderOnly = encoderOnly(r, paper);
        BenchTable t = new BenchTable(paper == null ? "paper: no reference numbers for a model file"
                : "ours vs " + paper.source() + " (reference only; ours is not adjusted)", comparisonColumns(r, paper));
        if (paper != null && !paper.note().isEmpty()) {
            t.context("note", paper.note());
        }
        double dense = encoderOnly ? r.denseFlops("encoder") : r.denseFlops();
        Map<String, PaperSizeReference.Entry> rows = paper == null ? Map.of() : paper.rows();
        t.row(comparisonRow("dense FP32", rows.get("dense"), r.denseBytes(), 1, dense, dense));
        for (Precision p : PRECISIONS) {
            double ours = encoderOnly ? r.quantizedFlops("encoder", p) : r.quantizedFlops(p);
            t.row(comparisonRow("TT " + p, rows.get(p.key()), r.bytes(p), r.compression(p), ours, dense));
        }
        return t;
    }

    /** Whether to compare encoder FLOPs only (the paper's BERT count). */
    private static boolean encoderOnly(SizeReport r, PaperSizeReference paper) {
        return paper != null && paper.encoderOnlyFlops() && r.groups().contains("encoder");
    }

    private static List<String> comparisonColumns(SizeReport r, PaperSizeReference paper) {
        return List.of("model", "paper MB", "ours MB", "paper GFLOPs", "ours GFLOPs (" + (encoderOnly(r, paper) ? "encoder" : "all layers") + ")");
    }

    private static String[] comparisonRow(String label, PaperSizeReference.Entry e, long bytes, double compression, double flops,
            double dense) {
        String paperMb = e == null ? "-" : trim(e.sizeMb()) + " (" + ratioText(e.sizeRatio()) + "x)";
        String paperFlops = e == null || e.gflops() == null ? "-" : trim(e.gflops()) + " (" + ratioText(e.gflopsRatio()) + "x)";
        return new String[] {label, paperMb, f(bytes / MB, 3) + " (" + f(compression, 1) + "x)", paperFlops,
                g(flops / 1e9) + " (" + ratio(dense, flops) + ")"};
    }

    private static Map<String, Object> toJson(SizeReport r, PaperSizeReference paper) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", r.spec().name());
        doc.put("tokens", r.tokens());
        doc.put("mb_bytes", (long) MB);
        List<Map<String, Object>> layers = new ArrayList<>();
        for (LayerCost c : r.layers()) {
            LayerSpec s = c.spec();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("group", s.group());
            m.put("kind", s.kind().key());
            m.put("quantized", s.quantized());
            m.put("count", s.count());
            m.put("shape", s.shapeText());
            m.put("modes", s.modesText());
            m.put("ranks", c.ranks());
            m.put("order", c.order());
            m.put("params", c.params());
            m.put("bias_params", c.biasParams());
            m.put("dense_params", c.denseParams());
            m.put("bytes", byPrecision(c::bytes));
            m.put("dense_bytes", c.denseBytes());
            m.put("flops", c.flops());
            m.put("dense_flops", c.denseFlops());
            m.put("quantized_flops", byPrecision(c::quantizedFlops));
            layers.add(m);
        }
        doc.put("layers", layers);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("params", r.params());
        t.put("bias_params", r.biasParams());
        t.put("total_params", r.totalParams());
        t.put("quantized_params", r.quantizedParams());
        t.put("dense_params", r.denseParams());
        t.put("bytes", byPrecision(r::bytes));
        t.put("dense_bytes", r.denseBytes());
        t.put("compression", byPrecision(r::compression));
        t.put("flops", r.flops());
        t.put("dense_flops", r.denseFlops());
        t.put("quantized_flops", byPrecision(r::quantizedFlops));
        t.put("flops_reduction", byPrecision(p -> r.denseFlops() / r.quantizedFlops(p)));
        Map<String, Object> groups = new LinkedHashMap<>();
        for (String g : r.groups()) {
            Map<String, Object> gm = new LinkedHashMap<>();
            gm.put("flops", r.flops(g));
            gm.put("dense_flops", r.denseFlops(g));
            gm.put("quantized_flops", byPrecision(p -> r.quantizedFlops(g, p)));
            groups.put(g, gm);
        }
        t.put("groups", groups);
        doc.put("totals", t);
        if (paper != null) {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("source", paper.source());
            pm.put("note", paper.note());
            pm.put("flops_scope", paper.encoderOnlyFlops() ? "encoder" : "not reported");
            Map<String, Object> rows = new LinkedHashMap<>();
            paper.rows().forEach((k, e) -> {
                Map<String, Object> em = new LinkedHashMap<>();
                em.put("size_mb", e.sizeMb());
                em.put("size_ratio", e.sizeRatio());
                em.put("gflops", e.gflops());
                em.put("gflops_ratio", e.gflopsRatio());
                rows.put(k, em);
            });
            pm.put("reported", rows);
            doc.put("paper", pm);
        }
        return doc;
    }

    private static <T extends Number> Map<String, T> byPrecision(Function<Precision, T> f) {
        Map<String, T> m = new LinkedHashMap<>();
        for (Precision p : PRECISIONS) {
            m.put(p.key(), f.apply(p));
        }
        return m;
    }

    private static String ranks(int[] r) {
        if (r.length == 0) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < r.length; i++) {
            sb.append(i == 0 ? "" : ",").append(r[i]);
        }
        return sb.toString();
    }

    /** A paper number as printed there: "63", "423", "3.3", "1.0". */
    private static String trim(double v) {
        return v == Math.rint(v) && v >= 10 ? Long.toString((long) v) : Double.toString(v);
    }

    /** A paper ratio as printed there: "19", "1.7". */
    private static String ratioText(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** Four significant digits (GFLOPs of models large and tiny). */
    private static String g(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private static String f(double v, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }
}
