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
import picocli.CommandLine.Option;
import ttq.model.data.DataFormatException;
import ttq.model.data.IntentSlotCorpus;
import ttq.model.data.Utterance;
import ttq.model.metrics.IntentSlotMetrics;
import ttq.model.train.JointEvaluator;
import ttq.model.train.SavedJointModel;
import ttq.model.train.SlotDecoding;

/**
 * {@code ttq eval}: scores a saved joint intent/slot model (a training checkpoint or a compact
 * export) on one split of an ATIS-layout corpus, printing the metrics and, with {@code --out},
 * writing eval.json, SPLIT_slots.txt and SPLIT_intents.txt (as {@code ttq train} writes test_*).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Score a checkpoint or a compact model (ttq export) on a split: intent accuracy, slot F1, frame accuracy.")
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A training checkpoint or a compact model file.")
    Path model;

    @Option(names = "--data", defaultValue = "test-data/atis", description = "Corpus folder (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--split", defaultValue = "test", description = "train, valid or test (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", paramLabel = "DIR", description = "Write eval.json and the prediction files here.")
    Path out;

    @Option(names = "--slot-decoding", defaultValue = "bio", paramLabel = "bio|argmax", description = "Slot tags: bio (the best "
            + "valid BIO sequence) or argmax (each token's best tag); default ${DEFAULT-VALUE}.")
    String slotDecodingName;

    @Override
    public Integer call() throws Exception {
        if (!List.of("train", "valid", "test").contains(split)) {
            throw new UsageException("--split must be train, valid or test, got '" + split + "'");
        }
        if (!Files.isRegularFile(model)) {
            throw new UsageException("--model " + model + ": no such file");
        }
        if (!Files.isDirectory(data.resolve(split))) {
            throw new DataFormatException(data.resolve(split) + ": split folder not found (set --data)");
        }
        SlotDecoding decoding;
        try {
            decoding = SlotDecoding.parse(slotDecodingName);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--slot-decoding: " + e.getMessage());
        }
        SavedJointModel saved = SavedJointModel.open(model);
        List<Utterance> utterances = IntentSlotCorpus.read(data.resolve(split));
        long t0 = System.nanoTime();
        JointEvaluator.Result r = JointEvaluator.evaluate(saved.net(), saved.batcher(), utterances, decoding);
        double seconds = (System.nanoTime() - t0) / 1e9;
        IntentSlotMetrics m = r.metrics();
        System.out.printf(Locale.ROOT, "%s (%s) on %s: %s | %.2f s%n", model, saved.compact() ? "compact" : "checkpoint",
                data.resolve(split), m.summary(), seconds);
        if (out != null) {
            PredictionFiles.write(out, split, utterances, r);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("model", model.toString());
            json.put("split", split);
            json.put("intent_acc", m.intentAccuracy());
            json.put("slot_f1", m.slotF1());
            json.put("frame_acc", m.frameAccuracy());
            json.put("slot_token_acc", m.slotTokenAccuracy());
            json.put("slot_decoding", decoding.label());
            json.put("seconds", seconds);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("eval.json").toFile(), json);
        }
        return 0;
    }
}
