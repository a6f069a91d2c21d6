package ttq.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.optim.Adam;
import ttq.engine.optim.Sgd;
import ttq.engine.optim.WarmupLinearDecay;
import ttq.model.Linear;

/** The library's training loop: exact resume mid-epoch and across phases, its refusals, and what listeners see. */
class TrainerTest {
    /** A batch of inputs and targets. */
    record Pair(Tensor x, Tensor y) {
    }

    /** A small regression: 12 -> 3 with a hidden layer, dropout-free, 10 batches of 8 per epoch. */
    static final class Net extends Module {
        final Linear a, b;

        Net(long seed) {
            Random r = new Random(seed);
            a = module("a", new Linear(12, 16, true, r));
            b = module("b", new Linear(16, 3, true, r));
        }

        Tensor forward(Tensor x) {
            return b.forward(a.forward(x).tanh());
        }
    }

    static final List<Pair> DATA = data();

    static List<Pair> data() {
        Random r = new Random(5);
        List<Pair> out = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            out.add(new Pair(Tensor.normal(r, 1f, 8, 12), Tensor.normal(r, 1f, 8, 3)));
        }
        return out;
    }

    static BatchSource<Pair> shuffled() {
        return order -> {
            List<Pair> l = new ArrayList<>(DATA);
            Collections.shuffle(l, new Random(order));
            return l;
        };
    }

    /** Two phases (Adam with a schedule, then SGD), 2 + 2 epochs, checkpoints every 3 steps, clipping. */
    static Trainer.Builder<Pair> run(Net net, Path folder) {
        TrainingStep<Pair> step = (p, info) -> Ops.mse(net.forward(p.x()), p.y());
        return Trainer.builder(net, shuffled())
                .phase("warm", 2, () -> new Adam(net.parameters(), 1e-2f, 0.9f, 0.98f, 1e-8f, 0f), new WarmupLinearDecay(1e-2f, 5, 20), step)
                .phase("fine", 2, () -> new Sgd(net.parameters(), 1e-2f, 0.9f, 0f, false), null, step)
                .seed(3).clipGradNorm(1f).checkpointEvery(3).runFolder(folder).runKey("k")
                .evaluator(() -> {
                    double sum = 0;
                    for (Pair p : DATA) {
                        sum += Ops.mse(net.forward(p.x()), p.y()).item();
                    }
                    return new Evaluation(-sum, String.format(java.util.Locale.ROOT, "%.6f", sum), "mse " + sum);
                }, "epoch,phase,loss,dev_mse\n");
    }

    @Test
    void aRunStoppedAnywhereAndResumedEndsBitForBitAsOneRun(@TempDir Path dir) throws IOException {
        Net straight = new Net(1);
        Trainer.Result full = run(straight, dir.resolve("straight")).build().run();
        assertTrue(full.finished());
        assertEquals(4, full.epochs());
        assertEquals(5, Files.readAllLines(dir.resolve("straight").resolve(Trainer.METRICS)).size(), "header and four epochs");
        // stops: mid-epoch in phase 1, at the phase boundary (after 20 steps), mid-epoch in phase 2
        for (long stop : new long[] {7, 20, 34}) {
            Path folder = dir.resolve("stop" + stop);
            Trainer.Result part = run(new Net(1), folder).stopAfterSteps(stop).build().run();
            assertFalse(part.finished(), "stopped after " + stop + " steps");
            Net resumed = new Net(99); // other weights: the checkpoint must restore them all
            Trainer.Result rest = run(resumed, folder).resume(true).build().run();
            assertTrue(rest.finished());
            assertEquals(Files.readString(dir.resolve("straight").resolve(Trainer.METRICS)), Files.readString(folder.resolve(Trainer.METRICS)));
            for (int i = 0; i < straight.parameters().size(); i++) {
                assertArrayEquals(straight.parameters().get(i).data(), resumed.parameters().get(i).data(), "stop " + stop + ", parameter " + i);
            }
            assertEquals(full.bestEpoch(), rest.bestEpoch());
        }
    }

    @Test
    void listenersSeeEveryStepAndEpoch(@TempDir Path dir) throws IOException {
        AtomicInteger steps = new AtomicInteger(), epochs = new AtomicInteger(), checkpoints = new AtomicInteger();
        List<String> phases = new ArrayList<>();
        TrainingListener l = new TrainingListener() {
            @Override
            public void stepFinished(StepInfo step, float loss, double meanLoss, int examples, long tokens) {
                assertEquals(steps.getAndIncrement(), step.stepsBefore());
                assertEquals(10, step.steps());
            }

            @Override
            public void epochFinished(int epoch, int totalEpochs, String phase, double meanLoss, Evaluation dev) {
                assertEquals(epochs.incrementAndGet(), epoch);
                assertEquals(4, totalEpochs);
                assertTrue(dev != null && dev.summary().startsWith("mse "));
                phases.add(phase);
            }

            @Override
            public void checkpointed(Path file, int epoch, int step) {
                checkpoints.incrementAndGet();
            }
        };
        run(new Net(1), dir).listener(l).build().run();
        assertEquals(40, steps.get());
        assertEquals(List.of("warm", "warm", "fine", "fine"), phases);
        assertEquals(4 * 3 + 4, checkpoints.get(), "every 3 steps (3 per epoch) and at each epoch end");
        assertTrue(Files.exists(dir.resolve(Trainer.BEST)));
    }

    @Test
    void refusesWhatWouldNotContinueTheSameRun(@TempDir Path dir) throws IOException {
        run(new Net(1), dir).stopAfterEpoch(1).build().run();
        RunMismatchException e = assertThrows(RunMismatchException.class, () -> run(new Net(1), dir).build().run());
        assertTrue(e.getMessage().contains("already holds a run"), e.getMessage());
        e = assertThrows(RunMismatchException.class, () -> run(new Net(1), dir).runKey("other").resume(true).build().run());
        assertTrue(e.getMessage().contains("[k]") && e.getMessage().contains("[other]"), e.getMessage());
        run(new Net(1), dir).resume(true).stopAfterEpoch(2).build().run();
        e = assertThrows(RunMismatchException.class, () -> run(new Net(1), dir).resume(true).stopAfterEpoch(1).build().run());
        assertTrue(e.getMessage().contains("already finished epoch 2"), e.getMessage());
    }

    @Test
    void aNonFiniteLossStopsTheRunNamingWhere(@TempDir Path dir) {
        Net net = new Net(1);
        AtomicInteger calls = new AtomicInteger();
        TrainingStep<Pair> step = (p, info) -> calls.incrementAndGet() == 13 ? Ops.mse(net.forward(p.x()), p.y()).mul(Float.NaN)
                : Ops.mse(net.forward(p.x()), p.y());
        Trainer<Pair> t = Trainer.builder(net, shuffled()).phase("", 3, () -> new Sgd(net.parameters(), 1e-2f), null, step)
                .runFolder(dir).build();
        ArithmeticException e = assertThrows(ArithmeticException.class, t::run);
        assertEquals("training diverged: loss NaN at epoch 2 step 3", e.getMessage());
    }

    @Test
    void aBuilderWithoutAPhaseOrFolderIsRefused(@TempDir Path dir) {
        Net net = new Net(1);
        assertThrows(IllegalStateException.class, () -> Trainer.builder(net, shuffled()).runFolder(dir).build());
        assertThrows(NullPointerException.class, () -> Trainer.builder(net, shuffled())
                .phase("", 1, () -> new Sgd(net.parameters(), 1e-2f), null, (p, i) -> p.x()).build());
        assertThrows(IllegalArgumentException.class, () -> Trainer.builder(net, shuffled())
                .phase("", 0, () -> new Sgd(net.parameters(), 1e-2f), null, (p, i) -> p.x()));
    }
}
