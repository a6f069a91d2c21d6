package ttq.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import ttq.model.infer.Predictor;
import ttq.model.train.SavedJointModel;
import ttq.model.transformer.TransformerConfig;

/**
 * {@code ttq serve}: the inference runtime over HTTP/1.1 (the JDK's built-in server). {@code POST
 * /predict} with {@code {"text": "..."}} answers one prediction object, with {@code {"texts": [...]}}
 * an array of them (the JSON {@code ttq predict} prints); {@code GET /health}; {@code GET /model}.
 * Bad requests get a one-line JSON error: 400 (malformed JSON, missing or non-string field, empty or
 * over-long text), 413 (body over 1 MiB), 405 (wrong method), 404 (unknown path). Each handler
 * thread has its own runtime buffers, so concurrent requests never share them.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a trained model over HTTP: POST /predict {\"text\": ...} or {\"texts\": [...]}, GET /health, GET /model.")
public final class ServeCommand implements Callable<Integer> {
    /** Largest request body accepted. */
    public static final int MAX_BODY = 1 << 20;
    /** How much of an oversized body is read and dropped before answering 413. */
    private static final long DRAIN = 16L << 20;

    @Mixin
    RuntimeOptions options;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 for all).")
    String host;

    @Option(names = "--handlers", paramLabel = "N", description = "Request handler threads (default: --threads). Each request runs "
            + "on the thread that handles it, with that thread's own runtime buffers; concurrent requests use the other handlers.")
    Integer handlers;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new UsageException("--port must be in [0, 65535], got " + port);
        }
        SavedJointModel saved = options.open();
        int n = handlers == null ? options.threads() : handlers;
        if (n < 1) {
            throw new UsageException("--handlers must be at least 1, got " + n);
        }
        // one request per handler thread: a request's batch runs on its own thread, and the handlers give the parallelism
        Predictor predictor = new Predictor(options.runtime(saved), saved.batcher(), options.decoding(), 1);
        Server server = Server.start(host, port, n, predictor, describe(saved));
        System.out.println("ttq serve: listening on http://" + host + ":" + server.port() + " (" + saved.file() + ", " + n
                + " handler threads); POST /predict, GET /health, GET /model");
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }

    /** What GET /model answers: the configuration, the file's size and format, the runtime plan. */
    static Map<String, Object> describe(SavedJointModel saved) throws IOException {
        TransformerConfig c = saved.config();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", saved.file().toString());
        m.put("kind", saved.compact() ? "compact" : "checkpoint");
        m.put("bytes", Files.size(saved.file()));
        m.put("format", c.format());
        m.put("bits", c.bits());
        m.put("hidden", c.hidden());
        m.put("layers", c.layers());
        m.put("heads", c.heads());
        m.put("ffn", c.ffn());
        m.put("max_length", c.maxLength());
        m.put("tt_rank", c.format().equals("tt") ? c.ttRank() : null);
        m.put("embedding_rank", c.format().equals("tt") ? c.embeddingRank() : null);
        m.put("quantized_attention", c.format().equals("tt") && c.quantizeAttention());
        m.put("vocab", c.vocab());
        m.put("intents", c.intents());
        m.put("slot_tags", c.slots());
        m.put("parameters", saved.net().parameterCount());
        return m;
    }

    /** A running server: the JDK HttpServer, its handler pool and the predictor they share. */
    public static final class Server {
        private final HttpServer http;
        private final ExecutorService pool;

        private Server(HttpServer http, ExecutorService pool) {
            this.http = http;
            this.pool = pool;
        }

        /** Starts serving predictor on host:port (0: a free port) with n handler threads; info is GET /model's answer. */
        public static Server start(String host, int port, int n, Predictor predictor, Map<String, Object> info) throws IOException {
            HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 64);
            ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
                Thread t = new Thread(r, "ttq-serve");
                t.setDaemon(true);
                return t;
            });
            Map<String, Object> model = new LinkedHashMap<>(info);
            model.put("runtime", predictor.runtime().describe());
            model.put("slot_decoding", predictor.decoding().label());
            Handlers h = new Handlers(predictor, model);
            http.createContext("/", h::handle);
            http.setExecutor(pool);
            http.start();
            return new Server(http, pool);
        }

        /** The port listened on. */
        public int port() {
            return http.getAddress().getPort();
        }

        /** Stops accepting, lets running requests finish (up to a second), and ends the handler threads. */
        public void stop() {
            http.stop(1);
            pool.shutdown();
            try {
                pool.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The request handling: routing, body limits, JSON in and out, errors as one-line JSON. */
    private static final class Handlers {
        private final ObjectMapper json = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        private final Predictor predictor;
        private final Map<String, Object> model;

        Handlers(Predictor predictor, Map<String, Object> model) {
            this.predictor = predictor;
            this.model = model;
        }

        void handle(HttpExchange ex) throws IOException {
            try (ex) {
                String path = ex.getRequestURI().getPath();
                String method = ex.getRequestMethod();
                switch (path) {
                    case "/predict" -> {
                        if (!method.equals("POST")) {
                            methodNotAllowed(ex, "POST");
                            return;
                        }
                        predict(ex);
                    }
                    case "/health" -> {
                        if (!method.equals("GET")) {
                            methodNotAllowed(ex, "GET");
                            return;
                        }
                        send(ex, 200, Map.of("status", "ok"));
                    }
                    case "/model" -> {
                        if (!method.equals("GET")) {
                            methodNotAllowed(ex, "GET");
                            return;
                        }
                        send(ex, 200, model);
                    }
                    default -> error(ex, 404, "no such path '" + path + "' (POST /predict, GET /health, GET /model)");
                }
            } catch (RuntimeException e) { // a bug, not bad input: answer 500, log one line
                System.err.println("ttq serve: " + e.getClass().getSimpleName() + ": " + e.getMessage());
                if (Main.verbose) {
                    e.printStackTrace();
                }
                try {
                    error(ex, 500, "internal error: " + e.getClass().getSimpleName());
                } catch (IOException | RuntimeException ignored) {
                    // the response may already have started
                }
            }
        }

        private void predict(HttpExchange ex) throws IOException {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readNBytes(MAX_BODY + 1);
                if (body.length > MAX_BODY) {
                    // read (and drop) a little more, so a client still sending gets the answer, not a reset
                    byte[] drop = new byte[1 << 16];
                    for (long dropped = 0; dropped < DRAIN; ) {
                        int k = in.read(drop);
                        if (k < 0) {
                            break;
                        }
                        dropped += k;
                    }
                    error(ex, 413, "request body over " + MAX_BODY + " bytes");
                    return;
                }
            }
            JsonNode root;
            try {
                root = json.readTree(body);
            } catch (JsonProcessingException e) {
                error(ex, 400, "malformed JSON: " + e.getOriginalMessage());
                return;
            }
            if (root == null || !root.isObject()) {
                error(ex, 400, "the body must be a JSON object with \"text\" or \"texts\"");
                return;
            }
            JsonNode text = root.get("text"), texts = root.get("texts");
            if ((text == null) == (texts == null)) {
                error(ex, 400, text == null ? "missing field \"text\" (a string) or \"texts\" (an array of strings)"
                        : "give \"text\" or \"texts\", not both");
                return;
            }
            List<String> batch = new ArrayList<>();
            if (text != null) {
                if (!text.isTextual()) {
                    error(ex, 400, "\"text\" must be a string, got " + text.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
                    return;
                }
                batch.add(text.asText());
            } else {
                if (!texts.isArray()) {
                    error(ex, 400, "\"texts\" must be an array of strings");
                    return;
                }
                for (int i = 0; i < texts.size(); i++) {
                    if (!texts.get(i).isTextual()) {
                        error(ex, 400, "\"texts\"[" + i + "] must be a string");
                        return;
                    }
                    batch.add(texts.get(i).asText());
                }
            }
            List<Predictor.Prediction> out;
            try {
                out = predictor.predict(batch);
            } catch (Predictor.InvalidInputException e) {
                error(ex, 400, (text != null ? "\"text\"" : "\"texts\"[" + e.index() + "]") + ": " + e.getMessage());
                return;
            }
            send(ex, 200, text != null ? out.get(0) : out);
        }

        private void methodNotAllowed(HttpExchange ex, String allow) throws IOException {
            ex.getResponseHeaders().set("Allow", allow);
            error(ex, 405, "method " + ex.getRequestMethod() + " not allowed on " + ex.getRequestURI().getPath() + " (use " + allow + ")");
        }

        private void error(HttpExchange ex, int status, String message) throws IOException {
            send(ex, status, Map.of("error", message.replaceAll("\\s*[\\r\\n]+\\s*", " ")));
        }

        private void send(HttpExchange ex, int status, Object body) throws IOException {
            byte[] bytes = (json.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            }
        }
    }
}
