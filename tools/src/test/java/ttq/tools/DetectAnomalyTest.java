package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ttq.engine.io.SafeTensors;

/** {@code train --detect-anomaly} stops at a NaN injected into a parameter mid-run, naming op, module and step; the checkpoint stays. */
class DetectAnomalyTest {
    @Test
    void aNanInjectedMidRunIsNamedAndTheCheckpointKept(@TempDir Path dir) throws IOException {
        Path corpus = dir.resolve("atis"), run = dir.resolve("run");
        TrainCommandTest.sliceAtisInto(corpus);
        // 48 utterances in batches of 8: 6 steps per epoch; global step 9 is epoch 2 step 3, after epoch 1's checkpoint
        MainTest.Result r = TrainCommandTest.trainOn(corpus, run, "--epochs", "2", "--detect-anomaly", "--inject-nan",
                "block1.attention.key.core2@9");
        assertEquals(Main.EXIT_DATA, r.code(), r.out() + r.err());
        List<String> errors = r.err().lines().filter(l -> l.contains("ttq: ") && !l.contains("ttq: warning")).map(l -> l.substring(l.indexOf("ttq: ")))
                .toList();
        assertEquals(1, errors.size(), r.err());
        String e = errors.get(0);
        assertTrue(e.contains("anomaly: non-finite value in the forward of LearnedScaleQuantize (module block1.attention.key.weightQuantizer)"), e);
        assertTrue(e.contains("at epoch 2 step 3 of 6") && e.contains("(epoch 1, step 6 of 6) is kept"), e);
        assertEquals("1", SafeTensors.readMetadata(run.resolve("checkpoint.safetensors")).get("epoch"));
        assertTrue(Files.exists(run.resolve("best.safetensors")));

        // without the flag the same run stops only at the optimizer's check, which names a parameter the NaN reached (here the
        // position table: the loss stayed finite), not the op where it arose
        r = TrainCommandTest.trainOn(corpus, dir.resolve("plain"), "--epochs", "2", "--inject-nan", "block1.attention.key.core2@9");
        assertEquals(Main.EXIT_DATA, r.code());
        assertTrue(r.err().contains("non-finite gradient (NaN)") || r.err().contains("training diverged"), r.err());
    }
}
