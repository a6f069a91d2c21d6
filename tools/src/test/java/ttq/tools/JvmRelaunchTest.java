package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JvmRelaunchTest {
    @Test
    void theSubcommandIsTheFirstNonOption() {
        assertEquals("train", JvmRelaunch.firstCommand(new String[] {"--verbose", "train", "--epochs", "2"}));
        assertNull(JvmRelaunch.firstCommand(new String[] {"--verbose"}));
    }

    @Test
    void bertCommandsGetHalfTheMemoryOthersAFixedPreTouchedHeap() {
        assertEquals("-Xms1g -Xmx12g", JvmRelaunch.defaultOpts("finetune", 24L << 30));
        assertEquals("-Xms1g -Xmx3g", JvmRelaunch.defaultOpts("distill", 4L << 30));
        assertEquals("-Xms1g -Xmx3g", JvmRelaunch.defaultOpts("distill", -1));
        assertEquals(JvmRelaunch.DEFAULT_OPTS, JvmRelaunch.defaultOpts("train", 24L << 30));
    }

    @Test
    void aForcedPreAvx512BlasCoreIsDroppedOnlyOnAnAvx512CpuAndOnlyUnlessKept() {
        assertTrue(JvmRelaunch.dropsForcedBlasCore("Haswell", null, true));
        assertTrue(JvmRelaunch.dropsForcedBlasCore("zen", null, true));
        assertFalse(JvmRelaunch.dropsForcedBlasCore("Haswell", null, false), "an AVX2 machine keeps it: forcing newer would crash");
        assertFalse(JvmRelaunch.dropsForcedBlasCore("Haswell", "1", true), "the user asked to keep it");
        assertFalse(JvmRelaunch.dropsForcedBlasCore("SkylakeX", null, true), "an AVX-512 core is the user's choice");
        assertFalse(JvmRelaunch.dropsForcedBlasCore(null, null, true));
    }
}
