package ttq.model.bert;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face tokenization of a {@code tokenizer.json} through the maintained Rust tokenizers
 * binding (DJL's {@code ai.djl.huggingface:tokenizers}; its linux-x86_64 library ships in the jar,
 * so no network): lower-casing, accent stripping, punctuation split, WordPiece, [CLS]/[SEP], pair
 * encoding with token type ids, truncation to {@code maxLength} (longest first, as Hugging Face).
 */
public final class BertTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;

    private BertTokenizer(HuggingFaceTokenizer tokenizer, int maxLength) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
    }

    /** Reads {@code tokenizer.json} from a stream ({@code source} names it in errors). */
    public static BertTokenizer read(InputStream json, String source, int maxLength) throws IOException {
        if (maxLength < 3) {
            throw new IllegalArgumentException("tokenizer max length must be at least 3 ([CLS] x [SEP]), got " + maxLength);
        }
        try {
            return new BertTokenizer(HuggingFaceTokenizer.newInstance(json, Map.of("maxLength", Integer.toString(maxLength),
                    "truncation", "true", "padding", "false", "addSpecialTokens", "true")), maxLength);
        } catch (RuntimeException e) {
            throw new IOException(source + ": not a tokenizer.json the Hugging Face tokenizers library reads (" + e.getMessage() + ")", e);
        }
    }

    /** Longest encoding in tokens; longer inputs are truncated. */
    public int maxLength() {
        return maxLength;
    }

    /** One encoded sentence or sentence pair: ids and token type ids (no padding). */
    public record Encoded(int[] ids, int[] typeIds) {
    }

    /** Encodes a sentence, or a pair when {@code second} is not null. */
    public Encoded encode(String first, String second) {
        Encoding e = second == null ? tokenizer.encode(first) : tokenizer.encode(first, second);
        return new Encoded(toInts(e.getIds()), toInts(e.getTypeIds()));
    }

    /** Encodes and pads a batch to its longest row (padding id 0, mask 0 there). {@code seconds} may be null. */
    public BertInput batch(List<String> firsts, List<String> seconds) {
        if (firsts.isEmpty()) {
            throw new IllegalArgumentException("tokenizer: empty batch");
        }
        if (seconds != null && seconds.size() != firsts.size()) {
            throw new IllegalArgumentException("tokenizer: " + firsts.size() + " first sentences, " + seconds.size() + " second");
        }
        List<Encoded> enc = new java.util.ArrayList<>(firsts.size());
        int l = 1;
        for (int i = 0; i < firsts.size(); i++) {
            enc.add(encode(firsts.get(i), seconds == null ? null : seconds.get(i)));
            l = Math.max(l, enc.get(i).ids().length);
        }
        return BertInput.padded(enc, l);
    }

    private static int[] toInts(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Math.toIntExact(v[i]);
        }
        return r;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
