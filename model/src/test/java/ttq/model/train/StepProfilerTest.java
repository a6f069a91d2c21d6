package ttq.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.Tensor;
import ttq.engine.profile.ProfileReport;
import ttq.engine.profile.Profiler;

class StepProfilerTest {
    private static void step(StepProfiler p, int i) {
        StepInfo info = new StepInfo(1, i, 100, "", i);
        p.stepStarted(info);
        Tensor x = Tensor.randn(i, 4, 4).requiresGrad(true);
        x.tanh().sum().backward();
        p.stepFinished(info, 0f, 0, 4, 16);
    }

    private static long calls(ProfileReport r, String phase, String op) {
        return r.byOp().stream().filter(row -> row.phase().equals(phase) && row.op().equals(op)).mapToLong(ProfileReport.Row::calls).sum();
    }

    @Test
    void recordsExactlyTheStepsAfterTheWarmUpAndDropsTheHooksWarmUp(@TempDir Path dir) throws Exception {
        StepProfiler p = new StepProfiler(null, 12, 3, dir, "t");
        for (int i = 0; i < 20; i++) {
            step(p, i);
            if (i < 2) {
                assertFalse(Profiler.running(), "steps before warm-up minus the hooks' warm-up run unprofiled");
            }
        }
        assertFalse(Profiler.running());
        assertEquals(3, p.recorded());
        assertEquals(3, calls(p.report(), "forward", "Tanh"), "steps 12, 13 and 14 only");
        assertEquals(3, calls(p.report(), "backward", "Tanh"));
        assertTrue(Files.readString(dir.resolve("profile.md")).startsWith("# t\n\n3 steps recorded"));
    }

    @Test
    void anEpochEndDuringTheWarmUpWritesNothingAndTheProfileStillComes(@TempDir Path dir) {
        StepProfiler p = new StepProfiler(null, 4, 2, dir, "t");
        step(p, 0);
        step(p, 1);
        p.epochFinished(1, 2, "", 0, null);
        assertFalse(Profiler.running());
        assertNull(p.report());
        assertFalse(Files.exists(dir.resolve("profile.md")));
        for (int i = 2; i < 8; i++) {
            step(p, i);
        }
        assertEquals(2, p.recorded());
        assertEquals(2, calls(p.report(), "forward", "Tanh"));
    }
}
