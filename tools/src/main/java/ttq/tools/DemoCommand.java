package ttq.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.engine.GradMode;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.io.Checkpoints;
import ttq.engine.optim.Adam;
import ttq.model.Mlp;
import ttq.model.data.DataFormatException;
import ttq.model.data.IntentSlotCorpus;
import ttq.model.data.Utterance;
import ttq.model.data.Vocabulary;

/**
 * {@code ttq demo}: trains a bag-of-words MLP intent classifier on an intent/slot corpus (the
 * bundled ATIS copy by default). It exercises the whole engine (data, autograd, OpenBLAS, native
 * GELU and Adam kernels, checkpointing) and stands in as the main job until the TT transformer
 * trainer exists.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train a bag-of-words MLP intent classifier on ATIS (stand-in main job until the TT trainer lands).")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "test-data/atis", description = "Corpus folder with train/, valid/, test/ (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--out", defaultValue = "runs/demo", description = "Run folder for metrics.csv, results.json, model.safetensors (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--epochs", defaultValue = "8", description = "Training epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--hidden", defaultValue = "256", description = "Hidden width (default ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (epochs < 1 || batch < 1 || hidden < 1 || !(lr > 0)) {
            throw new UsageException("--epochs, --batch and --hidden must be >= 1 and --lr > 0");
        }
        if (!Files.isDirectory(data)) {
            throw new DataFormatException(data + ": corpus folder not found (expected train/, valid/, test/; set --data)");
        }
        List<Utterance> train = IntentSlotCorpus.read(data.resolve("train"));
        List<Utterance> valid = IntentSlotCorpus.read(data.resolve("valid"));
        List<Utterance> test = IntentSlotCorpus.read(data.resolve("test"));
        List<String> words = new ArrayList<>();
        List<String> intents = new ArrayList<>();
        for (Utterance u : train) {
            words.addAll(u.tokens());
            intents.add(u.intent());
        }
        Vocabulary vocab = new Vocabulary(List.of("<unk>"), words, "<unk>");
        Vocabulary labels = new Vocabulary(List.of(), intents, null);
        Mlp model = new Mlp(vocab.size(), hidden, labels.size(), 0.1f, seed);
        Adam opt = new Adam(model.parameters(), lr);
        Files.createDirectories(out);
        System.out.printf("demo: %d train / %d valid / %d test utterances, vocab %d, %d intents, %d parameters%n",
                train.size(), valid.size(), test.size(), vocab.size(), labels.size(), model.parameterCount());

        StringBuilder metrics = new StringBuilder("epoch,train_loss,dev_intent_acc\n");
        Random shuffle = new Random(seed);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            order.add(i);
        }
        long start = System.nanoTime();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            Collections.shuffle(order, shuffle);
            model.train(true);
            double lossSum = 0;
            int steps = 0;
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("epoch " + epoch).setInitialMax(train.size())
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).continuousUpdate().build()) {
                for (int from = 0; from < order.size(); from += batch) {
                    List<Utterance> b = new ArrayList<>();
                    for (int i = from; i < Math.min(order.size(), from + batch); i++) {
                        b.add(train.get(order.get(i)));
                    }
                    opt.zeroGrad();
                    Tensor loss = Ops.crossEntropy(model.forward(features(b, vocab)), targets(b, labels), -1);
                    float value = loss.item();
                    if (!Float.isFinite(value)) {
                        throw new ArithmeticException("training diverged: loss " + value + " at epoch " + epoch + " step " + (steps + 1));
                    }
                    loss.backward();
                    opt.step();
                    lossSum += value;
                    steps++;
                    bar.stepBy(b.size());
                    bar.setExtraMessage(String.format(java.util.Locale.ROOT, "loss %.4f", lossSum / steps));
                }
            }
            double devAcc = accuracy(model, valid, vocab, labels);
            metrics.append(String.format(java.util.Locale.ROOT, "%d,%.6f,%.4f%n", epoch, lossSum / steps, devAcc));
            System.out.printf(java.util.Locale.ROOT, "epoch %d: train loss %.4f, dev intent accuracy %.4f%n", epoch, lossSum / steps, devAcc);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double testAcc = accuracy(model, test, vocab, labels);
        Files.writeString(out.resolve("metrics.csv"), metrics, StandardCharsets.UTF_8);
        Checkpoints.save(out.resolve("model.safetensors"), model);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("task", "atis intent (bag-of-words MLP demo)");
        results.put("data", data.toString());
        results.put("test_intent_acc", testAcc);
        results.put("params", model.parameterCount());
        results.put("epochs", epochs);
        results.put("train_seconds", seconds);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("results.json").toFile(), results);
        System.out.printf(java.util.Locale.ROOT, "test intent accuracy %.4f (%d utterances, unseen intents count as errors); %.1f s; wrote %s%n",
                testAcc, test.size(), seconds, out);
        return 0;
    }

    /** Multi-hot bag of words [batch, vocab]. */
    private static Tensor features(List<Utterance> batch, Vocabulary vocab) {
        float[] x = new float[batch.size() * vocab.size()];
        for (int i = 0; i < batch.size(); i++) {
            for (String w : batch.get(i).tokens()) {
                x[i * vocab.size() + vocab.id(w)] = 1f;
            }
        }
        return Tensor.wrap(x, batch.size(), vocab.size());
    }

    private static int[] targets(List<Utterance> batch, Vocabulary labels) {
        int[] t = new int[batch.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = labels.id(batch.get(i).intent());
        }
        return t;
    }

    /** Intent accuracy; a gold intent never seen in train is always an error (never dropped). */
    private static double accuracy(Mlp model, List<Utterance> split, Vocabulary vocab, Vocabulary labels) {
        model.eval();
        int correct = 0;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int from = 0; from < split.size(); from += 256) {
                List<Utterance> b = split.subList(from, Math.min(split.size(), from + 256));
                Tensor logits = model.forward(features(b, vocab));
                int c = logits.dim(1);
                float[] l = logits.data();
                for (int i = 0; i < b.size(); i++) {
                    int best = 0;
                    for (int j = 1; j < c; j++) {
                        if (l[i * c + j] > l[i * c + best]) {
                            best = j;
                        }
                    }
                    if (labels.id(b.get(i).intent()) == best) {
                        correct++;
                    }
                }
            }
        }
        model.train(true);
        return split.isEmpty() ? 0 : (double) correct / split.size();
    }
}
