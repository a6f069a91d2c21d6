package ttq.tools;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.engine.GradMode;
import ttq.engine.StepScope;
import ttq.engine.io.SafeTensors;
import ttq.model.bert.BertEncoder;
import ttq.model.bert.BertInput;
import ttq.model.bert.BertTokenizer;
import ttq.model.bert.PretrainedBert;
import ttq.model.data.DataFormatException;

/**
 * {@code ttq embed}: runs a pretrained encoder over a text file (one sentence, or a tab-separated
 * pair, per line) and writes the token ids, attention mask, token types and last hidden states to
 * a safetensors file, so anyone can compare our encoder with another implementation.
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Last hidden states of a pretrained encoder for each line of a text file, into a safetensors file.")
public final class EmbedCommand implements Callable<Integer> {
    @Option(names = "--teacher", defaultValue = "minilm", paramLabel = "minilm|bge|DIR",
            description = "minilm (all-MiniLM-L6-v2), bge (bge-small-en-v1.5) or a Hugging Face folder (config.json, "
                    + "model.safetensors or model.onnx, tokenizer.json); default ${DEFAULT-VALUE}.")
    String teacher;

    @Option(names = "--in", required = true, paramLabel = "TEXTS.txt", description = "One sentence, or two separated by a tab, per line.")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "H.safetensors", description = "Output file.")
    Path out;

    @Option(names = "--max-length", defaultValue = "128", description = "Truncate to this many tokens (default ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--batch", defaultValue = "32", description = "Sentences per forward pass (default ${DEFAULT-VALUE}).")
    int batch;

    @Override
    public Integer call() throws Exception {
        if (maxLength < 3) {
            throw new UsageException("--max-length must be at least 3, got " + maxLength);
        }
        if (batch < 1) {
            throw new UsageException("--batch must be positive, got " + batch);
        }
        if (!Files.isRegularFile(in)) {
            throw new UsageException("--in " + in + ": no such file");
        }
        List<String> firsts = new ArrayList<>(), seconds = new ArrayList<>();
        List<String> lines = ttq.model.data.TextLines.read(in);
        for (int i = 0; i < lines.size(); i++) {
            String line = i == 0 && lines.get(0).startsWith("\uFEFF") ? lines.get(0).substring(1) : lines.get(i);
            String[] f = line.split("\t", -1);
            if (line.isBlank() || f.length > 2 || f[0].isBlank() || (f.length == 2 && f[1].isBlank())) {
                throw new DataFormatException(in + ":" + (i + 1) + ": expected a sentence or two tab-separated sentences, got '"
                        + (line.length() > 60 ? line.substring(0, 60) + "..." : line) + "'");
            }
            firsts.add(f[0]);
            seconds.add(f.length == 2 ? f[1] : null);
        }
        if (firsts.isEmpty()) {
            throw new DataFormatException(in + ": no lines");
        }
        long t0 = System.nanoTime();
        PretrainedBert bert = PretrainedBert.load(teacher);
        BertEncoder encoder = bert.encoder();
        encoder.eval();
        int n = firsts.size(), hidden = bert.config().hidden();
        try (BertTokenizer tok = bert.tokenizer(maxLength)) {
            List<BertTokenizer.Encoded> enc = new ArrayList<>(n);
            int len = 1;
            for (int i = 0; i < n; i++) {
                enc.add(tok.encode(firsts.get(i), seconds.get(i)));
                len = Math.max(len, enc.get(i).ids().length);
            }
            long[] ids = new long[n * len], mask = new long[n * len], types = new long[n * len];
            float[] states = new float[Math.multiplyExact(n * len, hidden)];
            for (int from = 0; from < n; from += batch) {
                BertInput in = BertInput.padded(enc.subList(from, Math.min(n, from + batch)), len); // every batch at the file's length
                for (int i = 0; i < in.ids().length; i++) {
                    ids[from * len + i] = in.ids()[i];
                    types[from * len + i] = in.typeIds()[i];
                    mask[from * len + i] = in.mask()[i];
                }
                try (StepScope ignored = StepScope.open(); GradMode.Scope noGrad = GradMode.noGrad()) {
                    float[] h = encoder.forward(in).toArray();
                    System.arraycopy(h, 0, states, from * len * hidden, h.length);
                }
            }
            SafeTensors.writer()
                    .putI64("input_ids", ids, n, len)
                    .putI64("attention_mask", mask, n, len)
                    .putI64("token_type_ids", types, n, len)
                    .putF32("last_hidden_state", states, n, len, hidden)
                    .metadata("teacher", bert.name())
                    .metadata("source", in.getFileName().toString())
                    .metadata("max_length", Integer.toString(maxLength))
                    .write(out);
            System.out.printf(Locale.ROOT, "%s: %d inputs, padded to %d tokens, hidden %d -> %s (%.1f s)%n", bert.name(), n, len, hidden, out,
                    (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
