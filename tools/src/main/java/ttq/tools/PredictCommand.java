package ttq.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import ttq.model.infer.Predictor;
import ttq.model.train.SavedJointModel;

/**
 * {@code ttq predict}: intent and slots of utterances given as arguments or on stdin (one per line),
 * on the inference runtime; one JSON line per utterance. An empty or over-long utterance gets a
 * one-line error on stderr naming it (nothing on stdout) and makes the exit code 1; the others are
 * still answered.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Predict the intent and slots of utterances (arguments, or stdin one per line) with a trained model: one JSON line each.")
public final class PredictCommand implements Callable<Integer> {
    @Mixin
    RuntimeOptions options;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "N", description = "Utterances per runtime call (default ${DEFAULT-VALUE}).")
    int batch;

    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "Utterances; without any, stdin is read (one per line).")
    List<String> texts;

    @Override
    public Integer call() throws Exception {
        if (batch < 1) {
            throw new UsageException("--batch must be at least 1, got " + batch);
        }
        SavedJointModel saved = options.open();
        Predictor predictor = new Predictor(options.runtime(saved), saved.batcher(), options.decoding(), options.threads());
        ObjectMapper json = new ObjectMapper();
        PrintStream out = System.out;
        List<String> pending = new ArrayList<>();
        int errors = 0;
        if (texts != null && !texts.isEmpty()) {
            for (int i = 0; i < texts.size(); i++) {
                errors += take(predictor, texts.get(i), "argument " + (i + 1), pending) ? 0 : 1;
            }
        } else {
            // line by line as bytes, each decoded strictly: a line that is not UTF-8 is reported and skipped, the rest answered
            java.io.InputStream in = new java.io.BufferedInputStream(System.in);
            java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
            int line = 0;
            for (int c = in.read(); c != -1 || buf.size() > 0; c = in.read()) {
                if (c != -1 && c != '\n') {
                    buf.write(c);
                    continue;
                }
                line++;
                byte[] bytes = buf.toByteArray();
                buf.reset();
                int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                String text;
                try {
                    text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes, 0, end)).toString();
                } catch (CharacterCodingException e) {
                    System.err.println("ttq: stdin:" + line + ": not UTF-8 text");
                    errors++;
                    continue;
                }
                errors += take(predictor, text, "stdin:" + line, pending) ? 0 : 1;
                if (pending.size() >= batch) {
                    flush(predictor, pending, json, out);
                }
                if (c == -1) {
                    break;
                }
            }
        }
        flush(predictor, pending, json, out);
        out.flush();
        return errors == 0 ? 0 : Main.EXIT_DATA;
    }

    /** Queues a valid utterance, or reports why it is not one (false). */
    private static boolean take(Predictor predictor, String text, String where, List<String> pending) {
        try {
            predictor.check(text, 0);
        } catch (Predictor.InvalidInputException e) {
            System.err.println("ttq: " + where + ": " + e.getMessage());
            return false;
        }
        pending.add(text);
        return true;
    }

    private static void flush(Predictor predictor, List<String> pending, ObjectMapper json, PrintStream out) throws Exception {
        for (Predictor.Prediction p : predictor.predict(pending)) {
            out.println(json.writeValueAsString(p));
        }
        pending.clear();
    }
}
