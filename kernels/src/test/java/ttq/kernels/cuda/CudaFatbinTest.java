package ttq.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The build's nvcc step: with nvcc on the build machine, the fatbin is there and defines every kernel the launchers use. */
class CudaFatbinTest {
    static boolean nvccPresent() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (new java.io.File(dir, "nvcc").canExecute()) {
                return true;
            }
        }
        return new java.io.File("/usr/local/cuda/bin/nvcc").canExecute();
    }

    @Test
    void fatbinDefinesEveryLaunchedKernel() throws Exception {
        assumeTrue(nvccPresent(), "nvcc is not installed here: the build made no CUDA fatbin to check");
        byte[] fatbin;
        try (InputStream in = CudaRuntime.class.getResourceAsStream(CudaRuntime.FATBIN_RESOURCE)) {
            assertTrue(in != null, "nvcc is installed but the build produced no " + CudaRuntime.FATBIN_RESOURCE);
            fatbin = in.readAllBytes();
        }
        // kernel names are stored as plain strings in the ELF symbol tables and the PTX
        String text = new String(fatbin, StandardCharsets.ISO_8859_1);
        for (String kernel : CudaOps.KERNELS) {
            assertTrue(text.contains(kernel + "\0") || text.contains(kernel + "("), "the fatbin has no kernel " + kernel);
        }
        for (String arch : new String[] {"sm_80", "sm_90"}) {
            assertTrue(text.contains(arch), "no code for " + arch);
        }
    }

    @Test
    void withoutAGpuCudaSaysWhy() {
        if (CudaRuntime.isAvailable()) {
            assertTrue(CudaRuntime.status().contains("sm_"), CudaRuntime.status());
            return;
        }
        String reason = CudaRuntime.unavailableReason();
        assertTrue(reason != null && !reason.isBlank());
        assertTrue(CudaRuntime.status().startsWith("unavailable: "), CudaRuntime.status());
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, CudaRuntime::get);
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }
}
