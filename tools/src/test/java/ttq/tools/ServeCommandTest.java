package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.model.infer.JointRuntime;
import ttq.model.infer.Predictor;
import ttq.model.train.SavedJointModel;
import ttq.model.train.SlotDecoding;

/** ttq serve over real HTTP: concurrent requests answered as ttq predict answers them, and every malformed request refused cleanly. */
class ServeCommandTest {
    @TempDir
    static Path dir;
    static Path model;
    static ServeCommand.Server server;
    static HttpClient client;
    static URI base;
    static final ByteArrayOutputStream serverErr = new ByteArrayOutputStream();
    static PrintStream oldErr;

    @BeforeAll
    static void start() throws IOException {
        model = PredictCommandTest.trainedModel(dir);
        SavedJointModel saved = SavedJointModel.open(model);
        Predictor p = new Predictor(JointRuntime.of(saved.net()), saved.batcher(), SlotDecoding.BIO, 1);
        oldErr = System.err;
        System.setErr(new PrintStream(serverErr, true, StandardCharsets.UTF_8)); // what the server prints while serving
        server = ServeCommand.Server.start("127.0.0.1", 0, 8, p, ServeCommand.describe(saved));
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        base = URI.create("http://127.0.0.1:" + server.port());
    }

    @AfterAll
    static void stop() {
        server.stop();
        System.setErr(oldErr);
    }

    static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(base.resolve(path)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eightThreadsOfTwoHundredRequestsAllAnsweredAsPredictAnswers() throws Exception {
        List<String> texts = Files.readAllLines(Path.of("..", "test-data", "atis", "test", "seq.in")).subList(0, 200);
        List<String> args = new ArrayList<>(List.of("predict", "--model", model.toString()));
        args.addAll(texts);
        MainTest.Result predicted = MainTest.run(args.toArray(new String[0]));
        assertEquals(0, predicted.code(), predicted.err());
        List<String> expected = predicted.out().lines().toList();
        assertEquals(200, expected.size());
        ObjectMapper json = new ObjectMapper();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicInteger errors = new AtomicInteger();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            done.add(pool.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    int k = (i * 8 + thread * 37) % 200; // every thread walks the texts in its own order
                    String body = json.createObjectNode().put("text", texts.get(k)).toString();
                    HttpResponse<String> r = post("/predict", body);
                    if (r.statusCode() != 200 || !r.body().strip().equals(expected.get(k))) {
                        errors.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        assertEquals(0, errors.get(), "requests answered wrongly or not at all");
        // a batch request answers the same objects, in order
        HttpResponse<String> r = post("/predict", json.writeValueAsString(java.util.Map.of("texts", texts.subList(0, 5))));
        assertEquals(200, r.statusCode());
        JsonNode array = json.readTree(r.body());
        assertEquals(5, array.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(json.readTree(expected.get(i)), array.get(i));
        }
    }

    @Test
    void healthAndModel() throws Exception {
        HttpResponse<String> r = send("GET", "/health");
        assertEquals(200, r.statusCode());
        assertEquals("ok", new ObjectMapper().readTree(r.body()).get("status").asText());
        r = send("GET", "/model");
        assertEquals(200, r.statusCode());
        JsonNode m = new ObjectMapper().readTree(r.body());
        assertEquals("tt", m.get("format").asText());
        assertEquals(8, m.get("bits").asInt());
        assertEquals(Files.size(model), m.get("bytes").asLong());
        assertTrue(m.get("runtime").toString().contains("TTM INT8"), m.toString());
    }

    @Test
    void malformedRequestsGetTheirStatusAndAOneLineError() throws Exception {
        String[][] bad = {
            {"{\"text\": ", "400", "malformed JSON"},
            {"not json at all", "400", "malformed JSON"},
            {"{\"text\": \"flights\"} trailing", "400", "malformed JSON"},
            {"[1, 2]", "400", "JSON object"},
            {"{}", "400", "missing field"},
            {"{\"txt\": \"hello\"}", "400", "missing field"},
            {"{\"text\": 42}", "400", "must be a string"},
            {"{\"text\": null}", "400", "must be a string"},
            {"{\"texts\": \"hello\"}", "400", "array of strings"},
            {"{\"texts\": [\"ok\", 7]}", "400", "[1] must be a string"},
            {"{\"text\": \"  \"}", "400", "empty utterance"},
            {"{\"texts\": [\"ok\", \"\"]}", "400", "\"texts\"[1]: empty utterance"},
            {"{\"text\": \"" + "word ".repeat(40) + "\"}", "400", "at most 32"},
            {"{\"text\": \"a\", \"texts\": [\"b\"]}", "400", "not both"},
            {"{\"text\": \"" + "x".repeat(ServeCommand.MAX_BODY) + "\"}", "413", "over"},
        };
        for (String[] b : bad) {
            HttpResponse<String> r = post("/predict", b[0]);
            String shown = b[0].length() > 60 ? b[0].substring(0, 60) + "..." : b[0];
            assertEquals(Integer.parseInt(b[1]), r.statusCode(), shown + " -> " + r.body());
            JsonNode e = new ObjectMapper().readTree(r.body());
            assertTrue(e.get("error").asText().contains(b[2]), shown + " -> " + r.body());
            assertEquals(1, r.body().strip().lines().count(), "one line");
        }
        HttpResponse<String> r = send("GET", "/predict");
        assertEquals(405, r.statusCode());
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        assertEquals(405, send("DELETE", "/health").statusCode());
        assertEquals(405, post("/model", "{}").statusCode());
        assertEquals(404, send("GET", "/nowhere").statusCode());
        // the server stays up, and printed no stack trace for any of it
        assertEquals(200, post("/predict", "{\"text\": \"flights to boston\"}").statusCode());
        String printed = serverErr.toString(StandardCharsets.UTF_8);
        assertFalse(printed.contains("Exception") || printed.contains("\tat "), printed);
    }

    @Test
    void badOptionsAreUsageErrors() {
        MainTest.Result r = MainTest.run("serve", "--model", model.toString(), "--port", "70000");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--port"), r.err());
        r = MainTest.run("serve", "--model", dir.resolve("missing.safetensors").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no such file"), r.err());
    }
}
