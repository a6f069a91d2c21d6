package ttq.tools.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.model.onnx.OnnxExport;
import ttq.model.quant.CompactExport;
import ttq.model.size.Precision;
import ttq.model.size.SizeReport;
import ttq.model.transformer.JointIntentSlotModel;
import ttq.model.transformer.TransformerConfig;
import ttq.tools.UsageException;

/**
 * {@code ttq bench onnx}: the sizes of the ATIS model of Table 1 exported to ONNX at every form
 * (dense FP32; TT FP32, INT8, INT4 with int4 or int8 codes, INT2) beside the compact file of the
 * same model and what {@code ttq size} predicts, and each form's compression against the dense
 * model's ONNX file. File sizes depend on the shapes only, so untrained models stand in for trained ones.
 */
@Command(name = "onnx", mixinStandardHelpOptions = true,
        description = "Sizes of the Table 1 ATIS model exported to ONNX at every precision, against the compact file and ttq size.")
public final class OnnxBenchCommand implements Callable<Integer> {
    @Option(names = "--vocab", defaultValue = "800", description = "Vocabulary (default ${DEFAULT-VALUE}, as bench infer and the peers).")
    int vocab;

    @Option(names = "--intents", defaultValue = "26", description = "Intents (default ${DEFAULT-VALUE}).")
    int intents;

    @Option(names = "--slots", defaultValue = "130", description = "Slot tags (default ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--out", description = "Directory for bench-onnx.csv/.json/.md.")
    Path out;

    private record Form(String name, String format, int bits, boolean int4) {
    }

    @Override
    public Integer call() throws Exception {
        if (vocab < 2 || intents < 1 || slots < 1) {
            throw new UsageException("--vocab must be at least 2, --intents and --slots at least 1");
        }
        List<Form> forms = List.of(new Form("dense FP32", "dense", 32, false), new Form("TT FP32", "tt", 32, false),
                new Form("TT INT8", "tt", 8, false), new Form("TT INT4 (int4 codes)", "tt", 4, true),
                new Form("TT INT4 (int8 codes)", "tt", 4, false), new Form("TT INT2 (int4 codes)", "tt", 2, true));
        BenchTable t = new BenchTable("ttq bench onnx (ATIS model of Table 1, vocabulary " + vocab + ", " + intents + " intents, " + slots
                + " slot tags)", List.of("form", "ONNX bytes", "compact bytes", "ONNX / compact", "ttq size bytes", "ttq size compression",
                "ONNX compression (dense ONNX / ONNX)", "nodes", "initializers"));
        t.context("export", "ttq export --format onnx: IR " + OnnxExport.IR_VERSION + ", opset " + OnnxExport.OPSET + ", TT orders planned for "
                + OnnxExport.Options.defaults().rows() + " rows; compact: ttq export's safetensors file; ttq size: the tensor bytes it predicts");
        t.context("weights", "untrained (file sizes depend only on shapes); quantizer scales set from a forward of one batch");
        long denseOnnx = 0;
        List<String[]> rows = new ArrayList<>();
        for (Form f : forms) {
            TransformerConfig c = TransformerConfig.atisTable1(vocab, intents, slots, f.format(), f.bits(), 64, 0f);
            JointIntentSlotModel net = new JointIntentSlotModel(c, 1);
            net.eval();
            initialiseScales(net, c);
            var model = OnnxExport.of(net, new OnnxExport.Options(OnnxExport.Options.defaults().rows(), f.int4()), Map.of());
            long onnx = model.getSerializedSize();
            long compact = CompactExport.fileBytes(net, Map.of());
            SizeReport size = SizeReport.of(c.sizeSpec("model", 32 * 24));
            Precision p = Precision.of(f.bits());
            if (f.format().equals("dense")) {
                denseOnnx = onnx;
            }
            rows.add(new String[] {f.name(), Long.toString(onnx), Long.toString(compact), String.format(Locale.ROOT, "%.3f", (double) onnx / compact),
                Long.toString(size.bytes(p)), String.format(Locale.ROOT, "%.1fx", size.compression(p)),
                String.format(Locale.ROOT, "%.1fx", (double) denseOnnx / onnx), Integer.toString(model.getGraph().getNodeCount()),
                Integer.toString(model.getGraph().getInitializerCount())});
        }
        rows.forEach(t::row);
        System.out.print(t.format());
        if (out != null) {
            t.write(out, "bench-onnx");
            System.out.println("wrote " + out.resolve("bench-onnx.{csv,json,md}"));
        }
        return 0;
    }

    private static void initialiseScales(JointIntentSlotModel net, TransformerConfig c) {
        int b = 4, l = 16;
        int[] ids = new java.util.Random(1).ints(b * l, 0, c.vocab()).toArray();
        float[] mask = new float[b * l];
        java.util.Arrays.fill(mask, 1f);
        try (var g = ttq.engine.GradMode.noGrad(); var s = ttq.engine.StepScope.open()) {
            net.forward(ids, mask, b, l);
        }
    }
}
