package ttq.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import ttq.model.data.DataFormatException;
import ttq.model.data.IntentSlotCorpus;
import ttq.model.data.Utterance;
import ttq.model.metrics.IntentSlotMetrics;
import ttq.model.infer.JointRuntime;
import ttq.model.infer.RuntimeEvaluator;
import ttq.model.infer.TtOrder;
import ttq.model.train.JointEvaluator;
import ttq.model.train.SavedJointModel;
import ttq.model.train.SlotDecoding;

/**
 * {@code ttq eval}: scores a saved joint intent/slot model (a training checkpoint or a compact
 * export) on one split of an ATIS-layout corpus, printing the metrics and, with {@code --out},
 * writing eval.json, eval.md, SPLIT_slots.txt and SPLIT_intents.txt (as {@code ttq train} writes test_*).
 * It runs the inference runtime ({@link JointRuntime}: integer arithmetic for quantized layers) or
 * the training network (fake quantization in FP32); {@code --compare} runs both and reports how
 * often their predictions agree.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Score a checkpoint or a compact model (ttq export) on a split: intent accuracy, slot F1, frame accuracy.")
public final class EvalCommand implements Callable<Integer> {
    @Mixin
    RuntimeOptions options;

    @Option(names = "--data", defaultValue = "test-data/atis", description = "Corpus folder (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--split", defaultValue = "test", description = "train, valid or test (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", paramLabel = "DIR", description = "Write eval.json, eval.md and the prediction files here.")
    Path out;

    @Option(names = "--engine", defaultValue = "runtime", paramLabel = "runtime|training|onnx", description = "runtime: the inference "
            + "runtime (integer kernels for quantized layers; default); training: the training network (fake quantization in FP32); "
            + "onnx: the --onnx export of the model under ONNX Runtime.")
    String engine;

    @Option(names = "--onnx", paramLabel = "M.onnx", description = "The model's ONNX export (ttq export --format onnx), run by ONNX Runtime "
            + "with --engine onnx or --compare.")
    Path onnx;

    @Option(names = "--compare", description = "Run every engine (runtime, training, and onnx with --onnx) and print the metrics and each "
            + "one's agreement with the training network (intents, slot tags).")
    boolean compare;

    @Override
    public Integer call() throws Exception {
        if (!List.of("runtime", "training", "onnx").contains(engine)) {
            throw new UsageException("--engine must be runtime, training or onnx, got '" + engine + "'");
        }
        if (engine.equals("onnx") && onnx == null) {
            throw new UsageException("--engine onnx needs --onnx M.onnx");
        }
        int threads = options.threads();
        TtOrder order = options.order();
        SlotDecoding decoding = options.decoding();
        if (!List.of("train", "valid", "test").contains(split)) {
            throw new UsageException("--split must be train, valid or test, got '" + split + "'");
        }
        if (!Files.isDirectory(data.resolve(split))) {
            throw new DataFormatException(data.resolve(split) + ": split folder not found (set --data)");
        }
        SavedJointModel saved = options.open();
        Path model = options.model;
        List<Utterance> utterances = IntentSlotCorpus.read(data.resolve(split));
        if (utterances.isEmpty()) {
            throw new DataFormatException(data.resolve(split) + ": the split has no utterances");
        }
        Commands.warn(IntentSlotCorpus.truncationWarning(data.resolve(split), utterances, saved.batcher().maxLength()));
        String kind = saved.compact() ? "compact" : "checkpoint";
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", model.toString());
        json.put("split", split);
        json.put("slot_decoding", decoding.label());
        JointEvaluator.Result shown = null;
        Run runtimeRun = null, trainingRun = null, onnxRun = null;
        if (engine.equals("runtime") || compare) {
            long t0 = System.nanoTime();
            JointRuntime runtime = JointRuntime.of(saved.net(), order);
            JointEvaluator.Result r = RuntimeEvaluator.evaluate(runtime, saved.batcher(), utterances, decoding, threads);
            runtimeRun = new Run("runtime", r, (System.nanoTime() - t0) / 1e9);
        }
        if (engine.equals("training") || compare) {
            long t0 = System.nanoTime();
            JointEvaluator.Result r = JointEvaluator.evaluate(saved.net(), saved.batcher(), utterances, decoding);
            trainingRun = new Run("training", r, (System.nanoTime() - t0) / 1e9);
        }
        if (onnx != null && (engine.equals("onnx") || compare)) {
            try (OnnxJointModel ort = OnnxJointModel.open(onnx, threads)) {
                String vocab = ort.metadata("ttq.vocabularies");
                if (vocab != null && !vocab.equals(ttq.model.data.VocabularyJson.write(saved.batcher()))) {
                    throw new DataFormatException(onnx + ": its vocabularies differ from " + model + "'s (exported from another model?)");
                }
                long t0 = System.nanoTime();
                JointEvaluator.Result r = JointEvaluator.evaluate(b -> ort.logits(b.ids(), b.mask(), b.batch(), b.length()),
                        saved.config().intents(), saved.batcher(), utterances, decoding);
                onnxRun = new Run("onnx", r, (System.nanoTime() - t0) / 1e9);
            }
        }
        for (Run run : new Run[] {runtimeRun, trainingRun, onnxRun}) {
            if (run == null) {
                continue;
            }
            IntentSlotMetrics m = run.result().metrics();
            System.out.printf(Locale.ROOT, "%s (%s) on %s, %s engine: %s | %.2f s%n", model, kind, data.resolve(split), run.engine(),
                    m.summary(), run.seconds());
            json.put(compare ? run.engine() : "engine", compare ? metrics(run) : run.engine());
            if (!compare) {
                json.putAll(metrics(run));
            }
            if (run.engine().equals(engine)) {
                shown = run.result();
            }
        }
        if (compare) {
            Map<String, Object> agreements = new LinkedHashMap<>();
            for (Run run : new Run[] {runtimeRun, onnxRun}) {
                if (run == null) {
                    continue;
                }
                Agreement a = Agreement.of(run.result(), trainingRun.result());
                IntentSlotMetrics x = run.result().metrics(), t = trainingRun.result().metrics();
                System.out.printf(Locale.ROOT, "%s vs training: identical intent on %d/%d utterances (%.2f%%), identical slot tag on %d/%d "
                                + "tokens (%.2f%%); intent acc %+.2f, slot F1 %+.2f, frame acc %+.2f points%n", run.engine(), a.sameIntents(),
                        a.utterances(), a.intentPercent(), a.sameTags(), a.tokens(), a.tagPercent(), x.intentAccuracy() - t.intentAccuracy(),
                        x.slotF1() - t.slotF1(), x.frameAccuracy() - t.frameAccuracy());
                Map<String, Object> agree = new LinkedHashMap<>();
                agree.put("identical_intents", a.sameIntents());
                agree.put("utterances", a.utterances());
                agree.put("identical_intent_pct", a.intentPercent());
                agree.put("identical_tags", a.sameTags());
                agree.put("tokens", a.tokens());
                agree.put("identical_tag_pct", a.tagPercent());
                agreements.put(run.engine() + "_vs_training", agree);
            }
            json.put("agreement", agreements.size() == 1 ? agreements.values().iterator().next() : agreements);
        }
        if (out != null) {
            PredictionFiles.write(out, split, utterances, shown);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("eval.json").toFile(), json);
            StringBuilder md = new StringBuilder("# ttq eval: " + model.getFileName() + " (" + kind + ") on " + data.resolve(split) + "\n\n");
            md.append("Slot decoding: ").append(decoding.label()).append(".\n\n");
            md.append("| engine | intent acc | slot F1 | frame acc | slot token acc | seconds |\n|---|---:|---:|---:|---:|---:|\n");
            for (Run run : new Run[] {runtimeRun, trainingRun, onnxRun}) {
                if (run != null) {
                    IntentSlotMetrics m = run.result().metrics();
                    md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", run.engine(), m.intentAccuracy(), m.slotF1(),
                            m.frameAccuracy(), m.slotTokenAccuracy(), run.seconds()));
                }
            }
            if (compare) {
                for (Run run : new Run[] {runtimeRun, onnxRun}) {
                    if (run != null) {
                        Agreement a = Agreement.of(run.result(), trainingRun.result());
                        md.append(String.format(Locale.ROOT, "%n%s vs training network: identical intent on %d / %d utterances (%.2f%%), "
                                + "identical slot tag on %d / %d tokens (%.2f%%).%n", run.engine(), a.sameIntents(), a.utterances(),
                                a.intentPercent(), a.sameTags(), a.tokens(), a.tagPercent()));
                    }
                }
            }
            Files.writeString(out.resolve("eval.md"), md);
        }
        return 0;
    }

    private record Run(String engine, JointEvaluator.Result result, double seconds) {
    }

    private static Map<String, Object> metrics(Run run) {
        IntentSlotMetrics m = run.result().metrics();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("intent_acc", m.intentAccuracy());
        j.put("slot_f1", m.slotF1());
        j.put("frame_acc", m.frameAccuracy());
        j.put("slot_token_acc", m.slotTokenAccuracy());
        j.put("seconds", run.seconds());
        return j;
    }

    /** How often two evaluations of the same split predict the same intent and the same tag. */
    record Agreement(int sameIntents, int utterances, int sameTags, int tokens) {
        static Agreement of(JointEvaluator.Result a, JointEvaluator.Result b) {
            int si = 0, st = 0, tokens = 0;
            for (int i = 0; i < a.intents().size(); i++) {
                si += a.intents().get(i).equals(b.intents().get(i)) ? 1 : 0;
                List<String> x = a.sentences().get(i).predicted(), y = b.sentences().get(i).predicted();
                for (int t = 0; t < x.size(); t++) {
                    st += x.get(t).equals(y.get(t)) ? 1 : 0;
                }
                tokens += x.size();
            }
            return new Agreement(si, a.intents().size(), st, tokens);
        }

        double intentPercent() {
            return 100.0 * sameIntents / Math.max(1, utterances);
        }

        double tagPercent() {
            return 100.0 * sameTags / Math.max(1, tokens);
        }
    }
}
