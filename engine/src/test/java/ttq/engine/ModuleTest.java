package ttq.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import ttq.engine.nn.Module;
import ttq.engine.nn.Parameter;

class ModuleTest {
    static final class Leaf extends Module {
        final Tensor w = parameter("w", Tensor.ones(2, 3));
        final Tensor scale = buffer("scale", Tensor.scalar(0.5f));
    }

    static final class Tree extends Module {
        final Leaf a = module("a", new Leaf());
        final Leaf b = module("b", new Leaf());
        final Tensor bias = parameter("bias", Tensor.zeros(3));
    }

    @Test
    void namesNestWithDotsInRegistrationOrder() {
        Tree t = new Tree();
        List<String> names = t.namedParameters().stream().map(Parameter::name).toList();
        assertEquals(List.of("bias", "a.w", "b.w"), names);
        assertEquals(List.of("bias", "a.w", "a.scale", "b.w", "b.scale"), List.copyOf(t.stateDict().keySet()));
        assertEquals(15, t.parameterCount());
        assertTrue(t.a.w.requiresGrad());
        assertFalse(t.a.scale.requiresGrad());
    }

    @Test
    void loadStateDictCopiesInPlaceAndReportsAllProblems() {
        Tree src = new Tree(), dst = new Tree();
        src.a.w.data()[0] = 42f;
        Tensor before = dst.a.w;
        dst.loadStateDict(src.stateDict());
        assertEquals(42f, dst.a.w.data()[0]);
        assertTrue(before == dst.a.w, "tensors are updated in place");

        Map<String, Tensor> bad = new java.util.LinkedHashMap<>(src.stateDict());
        bad.remove("bias");
        bad.put("extra", Tensor.zeros(1));
        bad.put("a.w", Tensor.zeros(3, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dst.loadStateDict(bad));
        assertTrue(e.getMessage().contains("missing [bias]"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected [extra]"), e.getMessage());
        assertTrue(e.getMessage().contains("a.w: shape [3, 2]"), e.getMessage());
        assertEquals(42f, dst.a.w.data()[0], "nothing changed on failure");
    }

    @Test
    void trainAndEvalPropagate() {
        Tree t = new Tree();
        t.eval();
        assertFalse(t.a.isTraining());
        t.train(true);
        assertTrue(t.b.isTraining());
    }
}
