package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.io.SafeTensors;
import ttq.engine.io.SafeTensorsWriter;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;

class TtApplyCommandTest {
    @Test
    void ttCaseMatchesTheDenseComputation(@TempDir Path dir) throws Exception {
        Random r = new Random(2);
        TtLinear ref = new TtLinear(new int[] {3, 4}, new int[] {2, 5}, 3, false, r);
        Tensor x = Tensor.normal(r, 1f, 4, 10), gy = Tensor.normal(r, 1f, 4, 12);
        SafeTensorsWriter w = SafeTensors.writer().putF32("x", x).putF32("gy", gy);
        List<Tensor> cores = ref.cores();
        for (int k = 0; k < cores.size(); k++) {
            w.putF32("core." + k, cores.get(k));
        }
        w.write(dir.resolve("case.safetensors"));
        MainTest.Result res = MainTest.run("tt-apply", "--in", dir.resolve("case.safetensors").toString(),
                "--out", dir.resolve("result.safetensors").toString());
        assertEquals(0, res.code(), res.err());
        Map<String, Tensor> out = SafeTensors.readFloats(dir.resolve("result.safetensors"));
        Tensor dense = ref.toDense();
        assertTrue(out.get("y").maxAbsDiff(x.matmul(dense.transpose(0, 1))) < 1e-4f);
        assertTrue(out.get("grad.x").maxAbsDiff(gy.matmul(dense)) < 1e-4f, "dL/dx = gy W");
        for (int k = 0; k < 4; k++) {
            assertTrue(out.containsKey("grad.core." + k));
        }
    }

    @Test
    void ttmEmbeddingCase(@TempDir Path dir) throws Exception {
        Random r = new Random(3);
        TtmEmbedding ref = new TtmEmbedding(12, new int[] {3, 4}, new int[] {2, 3}, 2, r);
        SafeTensorsWriter w = SafeTensors.writer().putI64("ids", new long[] {0, 11, 5}, 3).putF32("gy", Tensor.normal(r, 1f, 3, 6));
        for (int k = 0; k < 2; k++) {
            w.putF32("core." + k, ref.cores().get(k));
        }
        w.write(dir.resolve("case.safetensors"));
        MainTest.Result res = MainTest.run("tt-apply", "--in", dir.resolve("case.safetensors").toString(),
                "--out", dir.resolve("result.safetensors").toString());
        assertEquals(0, res.code(), res.err());
        Tensor y = SafeTensors.readFloats(dir.resolve("result.safetensors")).get("y");
        assertTrue(y.maxAbsDiff(Ops.indexSelect(ref.toDense(), 0, 0, 11, 5)) < 1e-4f);
    }

    @Test
    void quantizedCaseFollowsTheStraightThroughRules(@TempDir Path dir) throws Exception {
        Random r = new Random(5);
        TtLinear ref = new TtLinear(new int[] {3, 4}, new int[] {2, 5}, 3, false, r);
        Tensor x = Tensor.normal(r, 1f, 4, 10), gy = Tensor.normal(r, 1f, 4, 12);
        float scale = 0.05f;
        SafeTensorsWriter w = SafeTensors.writer().putF32("x", x).putF32("gy", gy).putF32("scale", Tensor.of(new float[] {scale}, 1))
                .metadata("bits", "4");
        List<Tensor> cores = ref.cores();
        for (int k = 0; k < cores.size(); k++) {
            w.putF32("core." + k, cores.get(k));
        }
        w.write(dir.resolve("case.safetensors"));
        MainTest.Result res = MainTest.run("tt-apply", "--in", dir.resolve("case.safetensors").toString(),
                "--out", dir.resolve("result.safetensors").toString());
        assertEquals(0, res.code(), res.err());
        Map<String, Tensor> out = SafeTensors.readFloats(dir.resolve("result.safetensors"));
        // y equals the unquantized layer built from Q(core) with the given scale
        java.util.List<Tensor> q = new java.util.ArrayList<>();
        for (Tensor c : cores) {
            q.add(Ops.quantize(c, Tensor.of(new float[] {scale}, 1), 4, 1f));
        }
        Tensor yq = TtLinear.fromCores(q, new int[] {3, 4}, new int[] {2, 5}, false).forward(x);
        assertTrue(out.get("y").maxAbsDiff(yq.detach()) < 1e-4f);
        assertEquals(1, out.get("grad.scale").numel());
    }

    @Test
    void quantizedAndMalformedCasesAreOneLineErrors(@TempDir Path dir) throws Exception {
        Random r = new Random(4);
        SafeTensorsWriter w = SafeTensors.writer().putF32("core.0", Tensor.normal(r, 1f, 1, 3, 2))
                .putF32("core.1", Tensor.normal(r, 1f, 2, 4, 1)).putF32("x", Tensor.zeros(1, 4)).putF32("gy", Tensor.zeros(1, 3))
                .putF32("scale", Tensor.ones(1)).metadata("bits", "4");
        w.write(dir.resolve("q.safetensors"));
        MainTest.Result res = MainTest.run("tt-apply", "--in", dir.resolve("q.safetensors").toString(), "--out", dir.resolve("o").toString());
        assertEquals(0, res.code(), res.err());
        assertTrue(SafeTensors.readFloats(dir.resolve("o")).containsKey("grad.scale"));
        SafeTensors.writer().putF32("core.0", Tensor.normal(r, 1f, 1, 3, 2)).putF32("core.1", Tensor.normal(r, 1f, 2, 4, 1))
                .putF32("x", Tensor.zeros(1, 4)).putF32("gy", Tensor.zeros(1, 3)).putF32("scale", Tensor.ones(1))
                .metadata("bits", "3").write(dir.resolve("q3.safetensors"));
        res = MainTest.run("tt-apply", "--in", dir.resolve("q3.safetensors").toString(), "--out", dir.resolve("o").toString());
        assertEquals(Main.EXIT_DATA, res.code());
        assertTrue(res.err().contains("bits must be"), res.err());
        SafeTensors.writer().putF32("core.0", Tensor.normal(r, 1f, 1, 3, 2)).putF32("core.1", Tensor.normal(r, 1f, 3, 4, 1))
                .putF32("x", Tensor.zeros(1, 4)).putF32("gy", Tensor.zeros(1, 3)).write(dir.resolve("bad.safetensors"));
        res = MainTest.run("tt-apply", "--in", dir.resolve("bad.safetensors").toString(), "--out", dir.resolve("o").toString());
        assertEquals(Main.EXIT_DATA, res.code());
        assertEquals(1, res.err().strip().lines().count(), res.err());
        assertTrue(res.err().contains("core.0 ends with rank 2 but core.1 starts with 3"), res.err());
    }
}
