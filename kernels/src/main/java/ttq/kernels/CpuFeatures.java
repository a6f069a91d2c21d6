package ttq.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * The x86 instruction-set extensions this machine can execute: supported by the CPU (CPUID) and
 * enabled by the OS (XGETBV). Read once from native code; kernels dispatch on it.
 */
public final class CpuFeatures {
    public static final int AVX2 = 1, FMA = 1 << 1, AVX512F = 1 << 2, AVX512BW = 1 << 3, AVX512VL = 1 << 4,
            AVX512VNNI = 1 << 5, AVXVNNI = 1 << 6, F16C = 1 << 7, OS_AVX = 1 << 8, OS_AVX512 = 1 << 9;

    private static final String[] NAMES = {"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
            "avx_vnni", "f16c", "os-avx", "os-avx512"};

    private static final int BITS;

    static {
        NativeLibrary.require();
        BITS = NativeKernels.ttq_cpu_features() & ~disabledMask();
    }

    /**
     * Features masked off by {@code -Dttq.cpu.disable=avx512f,avx_vnni,...} (or TTQ_CPU_DISABLE), to
     * run on a capable machine as a smaller one would (e.g. the AVX2-only machines). It can only
     * remove features, never add one the CPU lacks.
     */
    private static int disabledMask() {
        String spec = System.getProperty("ttq.cpu.disable", System.getenv("TTQ_CPU_DISABLE"));
        if (spec == null || spec.isBlank()) {
            return 0;
        }
        int mask = 0;
        for (String name : spec.split(",")) {
            int i = java.util.Arrays.asList(NAMES).indexOf(name.trim().toLowerCase(java.util.Locale.ROOT));
            if (i < 0) {
                throw new IllegalArgumentException("ttq.cpu.disable: unknown feature '" + name + "' (known: " + String.join(", ", NAMES) + ")");
            }
            mask |= 1 << i;
        }
        return mask;
    }

    private CpuFeatures() {
    }

    /** The raw feature bit set. */
    public static int bits() {
        return BITS;
    }

    public static boolean has(int feature) {
        return (BITS & feature) == feature;
    }

    /** Names of the usable features, e.g. [avx2, fma, avx512f, ...]. */
    public static List<String> names() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            if ((BITS & (1 << i)) != 0) {
                out.add(NAMES[i]);
            }
        }
        return out;
    }
}
