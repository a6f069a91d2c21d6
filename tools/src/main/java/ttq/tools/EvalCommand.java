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

    @Option(names = "--engine", defaultValue = "runtime", paramLabel = "runtime|training", description = "runtime: the inference "
            + "runtime (integer kernels for quantized layers; default); training: the training network (fake quantization in FP32).")
    String engine;

    @Option(names = "--compare", description = "Run both engines and print both metrics and their agreement (intents, slot tags).")
    boolean compare;

    @Override
    public Integer call() throws Exception {
        if (!engine.equals("runtime") && !engine.equals("training")) {
            throw new UsageException("--engine must be runtime or training, got '" + engine + "'");
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
        String kind = saved.compact() ? "compact" : "checkpoint";
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", model.toString());
        json.put("split", split);
        json.put("slot_decoding", decoding.label());
        JointEvaluator.Result shown = null;
        Run runtimeRun = null, trainingRun = null;
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
        for (Run run : new Run[] {runtimeRun, trainingRun}) {
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
            Agreement a = Agreement.of(runtimeRun.result(), trainingRun.result());
            System.out.printf(Locale.ROOT, "runtime vs training: identical intent on %d/%d utterances (%.2f%%), identical slot tag on %d/%d "
                            + "tokens (%.2f%%); intent acc %+.2f, slot F1 %+.2f, frame acc %+.2f points%n", a.sameIntents(), a.utterances(),
                    a.intentPercent(), a.sameTags(), a.tokens(), a.tagPercent(),
                    runtimeRun.result().metrics().intentAccuracy() - trainingRun.result().metrics().intentAccuracy(),
                    runtimeRun.result().metrics().slotF1() - trainingRun.result().metrics().slotF1(),
                    runtimeRun.result().metrics().frameAccuracy() - trainingRun.result().metrics().frameAccuracy());
            Map<String, Object> agree = new LinkedHashMap<>();
            agree.put("identical_intents", a.sameIntents());
            agree.put("utterances", a.utterances());
            agree.put("identical_intent_pct", a.intentPercent());
            agree.put("identical_tags", a.sameTags());
            agree.put("tokens", a.tokens());
            agree.put("identical_tag_pct", a.tagPercent());
            json.put("agreement", agree);
        }
        if (out != null) {
            PredictionFiles.write(out, split, utterances, shown);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("eval.json").toFile(), json);
            StringBuilder md = new StringBuilder("# ttq eval: " + model.getFileName() + " (" + kind + ") on " + data.resolve(split) + "\n\n");
            md.append("Slot decoding: ").append(decoding.label()).append(".\n\n");
            md.append("| engine | intent acc | slot F1 | frame acc | slot token acc | seconds |\n|---|---:|---:|---:|---:|---:|\n");
            for (Run run : new Run[] {runtimeRun, trainingRun}) {
                if (run != null) {
                    IntentSlotMetrics m = run.result().metrics();
                    md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", run.engine(), m.intentAccuracy(), m.slotF1(),
                            m.frameAccuracy(), m.slotTokenAccuracy(), run.seconds()));
                }
            }
            if (compare) {
                Agreement a = Agreement.of(runtimeRun.result(), trainingRun.result());
                md.append(String.format(Locale.ROOT, "%nRuntime vs training network: identical intent on %d / %d utterances (%.2f%%), identical "
                        + "slot tag on %d / %d tokens (%.2f%%).%n", a.sameIntents(), a.utterances(), a.intentPercent(), a.sameTags(), a.tokens(),
                        a.tagPercent()));
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
