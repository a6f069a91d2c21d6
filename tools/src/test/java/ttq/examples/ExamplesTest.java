package ttq.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The examples run as a user would run them; their printed results are checked, not just that they ran. */
class ExamplesTest {
    interface Main {
        void run() throws Exception;
    }

    static synchronized String output(Main main) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            main.run();
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        old.print(text);
        return text;
    }

    @Test
    void contractionOrdersAreListedWithThePlannersChoiceTheCheapest() throws Exception {
        String out = output(() -> CompareContractionOrders.main(new String[] {"64"}));
        Matcher header = Pattern.compile("(\\d+) contraction orders").matcher(out);
        assertTrue(header.find(), out);
        int count = Integer.parseInt(header.group(1));
        Pattern row = Pattern.compile("^([* ]) (\\S+)\\s+([0-9.]+)\\s+([0-9.]+)$", Pattern.MULTILINE);
        Matcher m = row.matcher(out);
        int rows = 0, chosen = 0;
        double chosenFlops = -1, minFlops = Double.MAX_VALUE;
        while (m.find()) {
            rows++;
            double flops = Double.parseDouble(m.group(3));
            assertTrue(flops > 0 && Double.parseDouble(m.group(4)) > 0, m.group());
            minFlops = Math.min(minFlops, flops);
            if (m.group(1).equals("*")) {
                chosen++;
                chosenFlops = flops;
            }
        }
        assertEquals(count, rows, "one row per order");
        assertTrue(count > 10, "a 4-core TT layer has many orders: " + count);
        assertEquals(1, chosen, "exactly one order is the planner's");
        assertEquals(minFlops, chosenFlops, 1e-9, "the planner picks the fewest FLOPs");
    }

    @Test
    void theTinyModelLearnsAtisOnTheTrainer() throws Exception {
        String out = output(() -> TrainTinyAtisModel.main(new String[] {"../test-data/atis"}));
        Matcher loss = Pattern.compile("first 10 steps ([0-9.]+), last 10 steps ([0-9.]+)").matcher(out);
        assertTrue(loss.find(), out);
        double first = Double.parseDouble(loss.group(1)), last = Double.parseDouble(loss.group(2));
        assertTrue(last < 0.5 * first, "one epoch more than halves the loss: " + first + " -> " + last);
        Matcher acc = Pattern.compile("intent accuracy ([0-9.]+), slot F1 ([0-9.]+)").matcher(out);
        assertTrue(acc.find(), out);
        // ATIS test: 'flight' alone is 70.9% of the intents (633 of 893); a model that learned nothing scores that at best
        assertTrue(Double.parseDouble(acc.group(1)) > 72, out);
        assertTrue(Double.parseDouble(acc.group(2)) > 10, out);
    }

    @Test
    void theReadmeLibraryExampleFitsItsTargetAndSaves(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("layer.safetensors");
        String out = output(() -> FitTtLayer.main(new String[] {file.toString()}));
        List<Double> losses = Pattern.compile("loss ([0-9.]+)").matcher(out).results().map(m -> Double.parseDouble(m.group(1))).toList();
        assertEquals(4, losses.size(), out);
        assertTrue(losses.get(3) < 0.01 * losses.get(0), "the INT8 TT layer learns the map: " + losses);
        java.util.Map<String, ttq.engine.Tensor> saved = ttq.engine.io.SafeTensors.readFloats(file);
        assertTrue(saved.keySet().stream().anyMatch(k -> k.contains("weightQuantizer")), saved.keySet().toString());
    }

    @Test
    void theGradientCheckPassesTheRightBackwardAndCatchesTheWrongOne() throws Exception {
        String out = output(() -> GradientCheckYourOwnOp.main(new String[0]));
        List<String> lines = out.lines().toList();
        assertEquals("swish, correct backward: gradient check passed on 20 random shapes", lines.get(0));
        assertTrue(lines.get(1).startsWith("swish, wrong backward:   caught: swish: gradient of input 0"), lines.get(1));
    }

    @Test
    void theTable1ExampleCheckpointsAndContinuesExactly(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path corpus = dir.resolve("corpus"), straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
        ttq.tools.TrainCommandTestAccess.slice(corpus);
        String out = output(() -> TrainAtisTable1.main(new String[] {corpus.toString(), "2", straight.toString()}));
        assertTrue(out.contains("2 epochs, best dev epoch"), out);
        out = output(() -> TrainAtisTable1.main(new String[] {corpus.toString(), "1", resumed.toString()}));
        assertTrue(out.contains("1 epochs, best dev epoch 1"), out);
        out = output(() -> TrainAtisTable1.main(new String[] {corpus.toString(), "2", resumed.toString()}));
        assertTrue(out.contains("2 epochs"), out);
        assertEquals(3, java.nio.file.Files.readAllLines(resumed.resolve("metrics.csv")).size(), "header and two epochs");
        assertEquals(java.nio.file.Files.readString(straight.resolve("metrics.csv")), java.nio.file.Files.readString(resumed.resolve("metrics.csv")));
        java.util.Map<String, ttq.engine.Tensor> a = ttq.engine.io.SafeTensors.readFloats(straight.resolve("checkpoint.safetensors"));
        java.util.Map<String, ttq.engine.Tensor> b = ttq.engine.io.SafeTensors.readFloats(resumed.resolve("checkpoint.safetensors"));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(a.get(k).data(), b.get(k).data(), k + ": a run continued with more epochs ends as "
                    + "one run of that length");
        }
    }

    @Test
    void theProfilingExampleWritesTheTableAndATrace(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path corpus = dir.resolve("corpus"), out = dir.resolve("profile");
        ttq.tools.TrainCommandTestAccess.slice(corpus);
        String printed = output(() -> ProfileTrainingSteps.main(new String[] {corpus.toString(), "0", "2", out.toString()}));
        assertTrue(printed.contains("2 steps,") && printed.contains("FactoredLinear"), printed);
        String md = java.nio.file.Files.readString(out.resolve("profile.md"));
        assertTrue(md.contains("| backward | FactoredLinear |") && md.contains("block0.attention.query"), md);
        com.fasterxml.jackson.databind.JsonNode trace = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("trace.json").toFile());
        assertTrue(trace.get("traceEvents").size() > 100, "a trace event per op, forward and backward");
    }
}
