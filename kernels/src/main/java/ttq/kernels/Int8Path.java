package ttq.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The instruction-set path of the INT8 kernels. Chosen once from CPUID and the OS's enabled
 * register state ({@link CpuFeatures}); {@code -Dttq.int8.path=...} or {@code TTQ_INT8_PATH}
 * forces one for testing, and a forced path the CPU lacks is refused with a message, never run.
 */
public enum Int8Path {
    SCALAR(0, 0, "portable C"),
    AVX2(1, CpuFeatures.AVX2, "AVX2 (vpmaddwd; vpmaddubsw when |B| <= " + Int8Gemm.AVX2_NARROW_MAX + ")"),
    AVX_VNNI(2, CpuFeatures.AVX2 | CpuFeatures.AVXVNNI, "AVX-VNNI (vpdpbusd, 256-bit)"),
    AVX512_VNNI(3, CpuFeatures.AVX512F | CpuFeatures.AVX512BW | CpuFeatures.AVX512VNNI, "AVX-512 VNNI (vpdpbusd, 512-bit)");

    final int code;
    private final int required;
    private final String description;

    Int8Path(int code, int required, String description) {
        this.code = code;
        this.required = required;
        this.description = description;
    }

    /** Whether this machine can execute the path. */
    public boolean supported() {
        return CpuFeatures.has(required);
    }

    public String description() {
        return description;
    }

    /** Every path this machine can run, fastest last. */
    public static List<Int8Path> supportedPaths() {
        List<Int8Path> out = new ArrayList<>();
        for (Int8Path p : values()) {
            if (p.supported()) {
                out.add(p);
            }
        }
        return out;
    }

    /** The fastest supported path. */
    public static Int8Path best() {
        List<Int8Path> s = supportedPaths();
        return s.get(s.size() - 1);
    }

    private static final Int8Path SELECTED = select();

    /** The path in use: forced by property/environment, or the best supported. */
    public static Int8Path selected() {
        return SELECTED;
    }

    private static Int8Path select() {
        String forced = System.getProperty("ttq.int8.path", System.getenv("TTQ_INT8_PATH"));
        if (forced == null || forced.isBlank()) {
            return best();
        }
        Int8Path p = parse(forced);
        p.requireSupported();
        return p;
    }

    /** Parses a path name such as "avx2" or "avx512_vnni". */
    public static Int8Path parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown INT8 path '" + name + "' (scalar, avx2, avx_vnni, avx512_vnni)");
        }
    }

    /** Throws when the CPU (or OS) cannot run this path. */
    public void requireSupported() {
        if (!supported()) {
            throw new IllegalStateException("INT8 path " + this + " (" + description + ") is not supported on this CPU"
                    + " (features: " + String.join(" ", CpuFeatures.names()) + "); refusing to run it");
        }
    }
}
