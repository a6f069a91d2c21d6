package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
