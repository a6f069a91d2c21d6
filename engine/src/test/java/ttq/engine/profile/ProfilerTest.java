package ttq.engine.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;

class ProfilerTest {
    /** Two named layers, each timing its forward as the model's modules do. */
    static final class Net extends Module {
        final Layer first, second;

        static final class Layer extends Module {
            final Tensor w;

            Layer(long seed) {
                w = parameter("w", Tensor.randn(seed, 16, 16));
            }

            Tensor forward(Tensor x) {
                try (Profiler.Scope s = Profiler.module(this)) {
                    return Ops.matmul(x, false, w, false).tanh();
                }
            }
        }

        Net() {
            first = module("first", new Layer(1));
            second = module("second", new Layer(2));
        }

        Tensor forward(Tensor x) {
            try (Profiler.Scope s = Profiler.module(this)) {
                return second.forward(first.forward(x));
            }
        }
    }

    private static void step(Net net) {
        Tensor x = Tensor.randn(3, 8, 16);
        Tensor loss = net.forward(x).sum();
        try (Profiler.Scope s = Profiler.section("backward pass")) {
            loss.backward();
        }
    }

    @Test
    void recordsEachOpForwardAndBackwardByModulePath(@TempDir Path dir) throws Exception {
        Net net = new Net();
        ProfileReport r = Profiler.record(net, () -> {
            step(net);
            step(net);
        });
        List<ProfileReport.Row> rows = r.rows();
        for (String path : List.of("first", "second")) {
            for (String phase : List.of("forward", "backward")) {
                for (String op : List.of("Matmul", "Tanh")) {
                    ProfileReport.Row row = rows.stream().filter(x -> x.phase().equals(phase) && x.op().equals(op) && x.path().equals(path))
                            .findFirst().orElseThrow(() -> new AssertionError(phase + " " + op + " under " + path + " missing: " + rows));
                    assertEquals(2, row.calls(), phase + " " + op + " under " + path + ": once per step");
                }
            }
        }
        assertTrue(rows.stream().anyMatch(x -> x.phase().equals("step") && x.op().equals("backward pass")), "the named section");
        double sum = rows.stream().mapToDouble(ProfileReport.Row::ms).sum();
        assertEquals(r.totalMs(), sum, 1e-6, "every interval is charged to exactly one row");
        assertEquals(r.totalMs(), r.phaseMs("forward") + r.phaseMs("backward") + r.phaseMs("step"), 1e-6);
        assertTrue(r.byOp().stream().anyMatch(x -> x.op().equals("Matmul") && x.phase().equals("backward") && x.calls() == 4));

        r.write(dir, 2, "test net");
        String md = Files.readString(dir.resolve("profile.md"));
        assertTrue(md.startsWith("# test net") && md.contains("| backward | Matmul | first |"), md);
        List<String> csv = Files.readAllLines(dir.resolve("profile.csv"));
        assertEquals("table,phase,op,module,calls,total_ms,ms_per_step,ms_per_call,share,mb_allocated", csv.get(0));
        assertTrue(csv.stream().anyMatch(l -> l.startsWith("by_module,forward,Tanh,second,2,")), String.join("\n", csv));
        JsonNode trace = new ObjectMapper().readTree(dir.resolve("trace.json").toFile());
        assertEquals(r.traceEvents() + 1, trace.get("traceEvents").size(), "the events and the thread's name");
        JsonNode last = trace.get("traceEvents").get(trace.get("traceEvents").size() - 1);
        assertEquals("X", last.get("ph").asText());
        assertTrue(last.get("dur").asDouble() >= 0 && last.has("ts") && last.has("tid"));
    }

    @Test
    void workerThreadsGetTheirOwnTrackNamedAfterTheSplittingOp(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(ttq.kernels.Parallel.threads() > 1, "needs two cores");
        Tensor big = Tensor.randn(7, 1 << 19).requiresGrad(true);
        ProfileReport r = Profiler.record(null, () -> big.exp().sum().backward());
        assertTrue(r.workerParts() > 0, "the exp of 2^19 elements is split over the workers");
        r.write(dir, 1, "split");
        JsonNode events = new ObjectMapper().readTree(dir.resolve("trace.json").toFile()).get("traceEvents");
        long main = -1;
        boolean workerNamed = false, workerExp = false;
        for (JsonNode e : events) {
            if (e.get("ph").asText().equals("M") && e.get("args").get("name").asText().equals("training thread")) {
                main = e.get("tid").asLong();
            }
        }
        for (JsonNode e : events) {
            if (e.get("tid").asLong() != main) {
                workerNamed |= e.get("ph").asText().equals("M") && e.get("args").get("name").asText().startsWith("worker");
                workerExp |= e.get("ph").asText().equals("X") && e.get("name").asText().equals("Exp");
            }
        }
        assertTrue(workerNamed && workerExp, "a worker track with the Exp op's part on it: " + events);
    }

    @Test
    void whenOffTheHooksAllocateNothingAndRecordNothing() {
        assertFalse(Profiler.running());
        Net net = new Net();
        Tensor x = Tensor.randn(3, 8, 16);
        Tensor y = net.forward(x);
        assertNull(Profiler.forwardDone("Matmul"), "no module path is kept without a profiler");
        assertSame(Profiler.module(net), Profiler.module(net.first), "one shared no-op scope");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int round = 0; round < 3; round++) { // the first rounds may still allocate (class loading, JIT)
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                try (Profiler.Scope s = Profiler.module(net)) {
                    Profiler.forwardDone("Matmul");
                    Profiler.backwardStart();
                    Profiler.backwardDone("Matmul", null);
                }
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == 2) {
                assertTrue(allocated < 1024, "hooks allocated " + allocated + " bytes over 100,000 calls with no profiler");
            }
        }
        assertEquals(8, y.dim(0));
    }

    @Test
    void oneProfilerAtATimeAndAFailureStopsIt() {
        Net net = new Net();
        assertThrows(IllegalStateException.class, () -> Profiler.record(net, () -> Profiler.start(null)));
        assertFalse(Profiler.running(), "the failed record stopped its profiler");
        assertThrows(ArithmeticException.class, () -> Profiler.record(net, () -> {
            throw new ArithmeticException("boom");
        }));
        assertFalse(Profiler.running());
    }
}
