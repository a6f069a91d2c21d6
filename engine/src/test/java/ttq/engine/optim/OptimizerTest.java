package ttq.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static ttq.engine.optim.OptimTestSupport.bits;
import static ttq.engine.optim.OptimTestSupport.copies;
import static ttq.engine.optim.OptimTestSupport.copyState;
import static ttq.engine.optim.OptimTestSupport.param;
import static ttq.engine.optim.OptimTestSupport.setGrad;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import ttq.engine.Tensor;
import ttq.kernels.Parallel;

/** Behaviour shared by all optimizers: validation, non-finite gradients, state save/resume. */
class OptimizerTest {

    // ------------------------------------------------------------------ construction

    @Test
    void rejectsEmptyParameterList() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Adam(List.of()));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void rejectsTensorWithoutRequiresGrad() {
        Tensor frozen = Tensor.of(new float[] {1f, 2f}, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Sgd(List.of(param(1f), frozen), 0.1f));
        assertTrue(e.getMessage().contains("parameter 1") && e.getMessage().contains("require grad"), e.getMessage());
    }

    @Test
    void rejectsTheSameTensorTwiceAndDistinctRemovesRepeats() {
        Tensor p = param(1f);
        Tensor q = param(2f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AdamW(List.of(p, q, p)));
        assertTrue(e.getMessage().contains("parameter 2") && e.getMessage().contains("parameter 0"), e.getMessage());
        List<Tensor> distinct = Optimizer.distinct(List.of(p, q, p));
        assertEquals(2, distinct.size());
        assertTrue(distinct.get(0) == p && distinct.get(1) == q);
    }

    @Test
    void learningRateAndZeroGrad() {
        Tensor p = param(1f, 2f);
        Sgd sgd = new Sgd(List.of(p), 0.5f);
        assertEquals(0.5f, sgd.learningRate());
        sgd.setLearningRate(0.25f);
        assertEquals(0.25f, sgd.learningRate());
        assertThrows(IllegalArgumentException.class, () -> sgd.setLearningRate(-0.1f));
        assertThrows(IllegalArgumentException.class, () -> sgd.setLearningRate(Float.NaN));
        setGrad(p, 4f, 4f);
        sgd.step();
        assertArrayEquals(new float[] {0f, 1f}, p.data());
        assertNotNull(p.grad());
        sgd.zeroGrad();
        assertNull(p.grad());
        sgd.step(); // no gradient: nothing moves, but the step is counted
        assertArrayEquals(new float[] {0f, 1f}, p.data());
        assertEquals(2, sgd.stepCount());
        assertEquals(1, sgd.parameterStepCount(0));
        assertEquals(List.of(p), sgd.parameters());
    }

    // ------------------------------------------------------------------ gradient checks

    @Test
    void nanGradientThrowsBeforeChangingAnything() {
        Tensor a = param(1f, 2f, 3f);
        Tensor b = param(4f, 5f, 6f);
        Adam adam = new Adam(List.of(a, b), 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f);
        setGrad(a, 0.1f, 0.2f, 0.3f);
        setGrad(b, 0.1f, 0.2f, 0.3f);
        adam.step(); // non-zero state first
        int[] aBits = bits(a);
        int[] bBits = bits(b);
        Map<String, Tensor> before = adam.state();

        setGrad(a, 1f, 1f, 1f); // finite, comes first: must not be applied either
        setGrad(b, 1f, 1f, Float.NaN);
        NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class, adam::step);
        assertEquals(1, e.parameterIndex());
        assertEquals(2, e.elementIndex());
        assertTrue(e.getMessage().contains("parameter 1"), e.getMessage());
        assertTrue(e instanceof ArithmeticException);
        assertArrayEquals(aBits, bits(a));
        assertArrayEquals(bBits, bits(b));
        assertEquals(1, adam.stepCount());
        assertStateBitsEqual(before, adam.state());
    }

    @Test
    void infinityInALargeGradientIsFound() {
        int n = 3 * Parallel.GRAIN + 5; // large enough to be checked in parallel chunks
        Tensor small = param(1f);
        Tensor big = Tensor.zeros(n).requiresGrad(true);
        Sgd sgd = new Sgd(List.of(small, big), 0.1f, 0.9f, 0f, false);
        float[] g = new float[n];
        g[n - 1] = Float.NEGATIVE_INFINITY;
        setGrad(small, 1f);
        setGrad(big, g);
        NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class, sgd::step);
        assertEquals(1, e.parameterIndex());
        assertEquals(n - 1, e.elementIndex());
        assertEquals(1f, small.data()[0]);
        assertEquals(0, sgd.stepCount());

        g[n - 1] = Float.MAX_VALUE; // large but finite is fine
        setGrad(big, g);
        sgd.step();
        assertEquals(1, sgd.stepCount());
    }

    @Test
    void gradientShapeMismatchIsReported() throws ReflectiveOperationException {
        Tensor a = param(1f);
        Tensor b = Tensor.zeros(2, 3).requiresGrad(true);
        Sgd sgd = new Sgd(List.of(a, b), 0.1f);
        // Autograd cannot produce a mismatched gradient; plant one to exercise the check.
        Field grad = Tensor.class.getDeclaredField("grad");
        grad.setAccessible(true);
        grad.set(b, Tensor.zeros(3, 2));
        IllegalStateException e = assertThrows(IllegalStateException.class, sgd::step);
        assertTrue(e.getMessage().contains("parameter 1") && e.getMessage().contains("[3, 2]")
                && e.getMessage().contains("[2, 3]"), e.getMessage());
        assertEquals(0, sgd.stepCount());
    }

    // ------------------------------------------------------------------ state save / resume

    @Test
    void resumeIsBitExactForSgd() {
        checkResume(ps -> new Sgd(ps, 0.05f, 0.9f, 1e-3f, true));
        checkResume(ps -> new Sgd(ps, 0.05f));
    }

    @Test
    void resumeIsBitExactForAdam() {
        checkResume(ps -> new Adam(ps, 0.01f, 0.9f, 0.999f, 1e-8f, 0.01f));
    }

    @Test
    void resumeIsBitExactForAdamW() {
        checkResume(ps -> new AdamW(ps, 0.01f));
    }

    /**
     * 5 uninterrupted steps versus 3 steps, state(), a new optimizer over copies of the parameters,
     * loadState and 2 more steps: same gradients, the lr following a schedule, and parameter 1
     * without a gradient on step 2 (so per-parameter step counts matter).
     */
    private static void checkResume(Function<List<Tensor>, Optimizer> factory) {
        Random r = new Random(42);
        int big = 2 * Parallel.GRAIN + 17;
        List<Tensor> initial = List.of(randomParam(r, 5), randomParam(r, 3), randomParam(r, big));
        List<float[][]> grads = new ArrayList<>(); // grads.get(step)[param], null = no gradient
        for (int s = 0; s < 5; s++) {
            float[][] g = new float[initial.size()][];
            for (int i = 0; i < g.length; i++) {
                g[i] = (s == 1 && i == 1) ? null : randomValues(r, initial.get(i).numel());
            }
            grads.add(g);
        }
        LrSchedule schedule = new WarmupLinearDecay(0.01f, 2, 6);

        List<Tensor> straight = copies(initial);
        Optimizer a = factory.apply(straight);
        runSteps(a, schedule, grads, 0, 5);

        List<Tensor> first = copies(initial);
        Optimizer b = factory.apply(first);
        runSteps(b, schedule, grads, 0, 3);
        Map<String, Tensor> saved = copyState(b.state());

        List<Tensor> resumed = copies(first);
        Optimizer c = factory.apply(resumed);
        c.setLearningRate(0.123f); // must be replaced by the saved lr
        c.loadState(saved);
        assertEquals(b.learningRate(), c.learningRate());
        assertEquals(3, c.stepCount());
        assertEquals(2, c.parameterStepCount(1));
        runSteps(c, schedule, grads, 3, 5);

        for (int i = 0; i < straight.size(); i++) {
            assertArrayEquals(bits(straight.get(i)), bits(resumed.get(i)), a.getClass().getSimpleName() + " parameter " + i);
        }
        assertStateBitsEqual(a.state(), c.state());
    }

    private static void runSteps(Optimizer opt, LrSchedule schedule, List<float[][]> grads, int from, int to) {
        for (int s = from; s < to; s++) {
            opt.zeroGrad();
            for (int i = 0; i < opt.parameters().size(); i++) {
                if (grads.get(s)[i] != null) {
                    setGrad(opt.parameters().get(i), grads.get(s)[i]);
                }
            }
            schedule.applyTo(opt);
            opt.step();
        }
    }

    @Test
    void stateIsASnapshotAndLoadStateCopies() {
        Tensor p = param(1f, 2f);
        Adam adam = new Adam(List.of(p), 0.1f);
        setGrad(p, 1f, -1f);
        adam.step();
        Map<String, Tensor> s1 = adam.state();
        float m0 = s1.get("m.0").data()[0];
        adam.step();
        assertEquals(m0, s1.get("m.0").data()[0], "state() must not alias live buffers");
        assertEquals(1f, s1.get("step").item());

        Adam other = new Adam(List.of(param(1f, 2f)), 0.1f);
        other.loadState(s1);
        s1.get("m.0").data()[0] = 99f;
        assertEquals(m0, other.state().get("m.0").data()[0], "loadState must copy");
    }

    @Test
    void loadStateReportsProblemsAndChangesNothing() {
        Tensor p = param(1f, 2f);
        Adam adam = new Adam(List.of(p), 0.1f);
        setGrad(p, 1f, -1f);
        adam.step();
        Map<String, Tensor> good = adam.state();

        Adam fresh = new Adam(List.of(param(0f, 0f)), 0.5f);
        Map<String, Tensor> before = fresh.state();

        Map<String, Tensor> missing = new HashMap<>(good);
        missing.remove("v.0");
        missing.put("extra.0", Tensor.scalar(1f));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fresh.loadState(missing));
        assertTrue(e.getMessage().contains("missing [v.0]") && e.getMessage().contains("unexpected [extra.0]"), e.getMessage());

        Map<String, Tensor> badShape = new HashMap<>(good);
        badShape.put("m.0", Tensor.zeros(3));
        e = assertThrows(IllegalArgumentException.class, () -> fresh.loadState(badShape));
        assertTrue(e.getMessage().contains("m.0") && e.getMessage().contains("[3]") && e.getMessage().contains("[2]"),
                e.getMessage());

        Map<String, Tensor> badStep = new HashMap<>(good);
        badStep.put("step", Tensor.scalar(1.5f));
        e = assertThrows(IllegalArgumentException.class, () -> fresh.loadState(badStep));
        assertTrue(e.getMessage().contains("step"), e.getMessage());

        Map<String, Tensor> paramAhead = new HashMap<>(good);
        paramAhead.put("step.0", Tensor.scalar(2f));
        assertThrows(IllegalArgumentException.class, () -> fresh.loadState(paramAhead));

        Map<String, Tensor> badLr = new HashMap<>(good);
        badLr.put("lr", Tensor.scalar(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> fresh.loadState(badLr));

        // an SGD state (buf.*) does not load into Adam
        Map<String, Tensor> sgdState = new Sgd(List.of(param(0f, 0f)), 0.1f, 0.9f, 0f, false).state();
        e = assertThrows(IllegalArgumentException.class, () -> fresh.loadState(sgdState));
        assertTrue(e.getMessage().contains("buf.0"), e.getMessage());

        assertStateBitsEqual(before, fresh.state());
        assertEquals(0.5f, fresh.learningRate());
    }

    @Test
    void stepCountsAreExactUpTo2To24() {
        Tensor p = param(1f);
        Sgd sgd = new Sgd(List.of(p), 0.1f, 0.5f, 0f, false);
        Map<String, Tensor> s = sgd.state();
        s.put("step", Tensor.scalar(Optimizer.MAX_EXACT_STEP - 1));
        s.put("step.0", Tensor.scalar(Optimizer.MAX_EXACT_STEP - 1));
        sgd.loadState(s);
        setGrad(p, 1f);
        sgd.step();
        assertEquals(Optimizer.MAX_EXACT_STEP, sgd.stepCount());
        assertEquals((float) Optimizer.MAX_EXACT_STEP, sgd.state().get("step").item());
        sgd.step();
        assertThrows(IllegalStateException.class, sgd::state);
    }

    // ------------------------------------------------------------------ helpers

    private static Tensor randomParam(Random r, int n) {
        return Tensor.of(randomValues(r, n), n).requiresGrad(true);
    }

    private static float[] randomValues(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static void assertStateBitsEqual(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) {
            assertArrayEquals(expected.get(k).shape(), actual.get(k).shape(), k);
            assertArrayEquals(bits(expected.get(k)), bits(actual.get(k)), k);
        }
    }
}
