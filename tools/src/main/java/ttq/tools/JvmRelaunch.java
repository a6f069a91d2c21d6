package ttq.tools;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Runs the long commands (train, reproduce, bench) in a child JVM with a fixed, pre-touched heap.
 * Training allocates many multi-megabyte arrays; with the default growing G1 heap every fresh
 * region costs first-touch page faults, which are slow on the VMs this was built on (an INT8 ATIS
 * epoch: 64 s by default, 50 s with -Xms3g -Xmx3g, 42 s with the heap also pre-touched, measured
 * 2026-11-26 on 2 cores). {@code TTQ_JVM_OPTS} replaces the flags; {@code TTQ_NO_RELAUNCH=1}
 * (or JVM flags that already fix the heap) keeps everything in the first JVM. The BERT commands
 * (finetune, distill, reproduce glue-table4) keep a whole encoder's activations for backward (about 3 GB for 32 sentence pairs of
 * 128 tokens with MiniLM, 2026-11-26), so they get half the machine's memory instead, not pre-touched.
 */
final class JvmRelaunch {
    static final String CHILD_PROPERTY = "ttq.child";
    // G1 named, not left to the JVM: on a machine it sees as one processor it would pick the serial
    // collector, under which a 1-thread ATIS epoch took 42 s instead of 23.5 s (2026-11-27).
    static final String DEFAULT_OPTS = "-Xms3g -Xmx3g -XX:+AlwaysPreTouch -XX:+UseG1GC";
    private static final Set<String> LONG_COMMANDS = Set.of("train", "reproduce", "bench", "finetune", "distill", "soak");
    private static final Set<String> LARGE_HEAP_COMMANDS = Set.of("finetune", "distill");

    /** The child's JVM flags for a command, given the machine's memory (bytes; -1 when unknown). */
    static String defaultOpts(String command, long physical) {
        if (LARGE_HEAP_COMMANDS.contains(command)) {
            long gb = Math.max(3, (physical > 0 ? physical : 6L << 30) / 2 >> 30);
            return "-Xms1g -Xmx" + gb + "g";
        }
        return DEFAULT_OPTS;
    }

    private JvmRelaunch() {
    }

    /** The first argument that is not an option (the subcommand), or null. */
    static String firstCommand(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return a;
            }
        }
        return null;
    }

    private static boolean userControlsJvm(String a) {
        return a.startsWith("-Xms") || a.startsWith("-Xmx") || a.startsWith("-XX:MaxHeapSize") || a.startsWith("-XX:InitialHeapSize")
                || a.contains("RAMPercentage") || a.startsWith("-XX:+AlwaysPreTouch") || a.startsWith("-agentlib") || a.startsWith("-agentpath")
                || a.startsWith("-javaagent") || a.startsWith("-Xrunjdwp") || a.contains("FlightRecord") || a.startsWith("-Xlog");
    }

    /** Whether this class was loaded from an entry of the class path (so a child with the same path finds it). */
    private static boolean onClassPath(String classPath) {
        try {
            java.nio.file.Path self = java.nio.file.Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (String entry : classPath.split(File.pathSeparator)) {
                if (!entry.isEmpty() && java.nio.file.Path.of(entry).toAbsolutePath().normalize().equals(self.toAbsolutePath().normalize())) {
                    return true;
                }
            }
        } catch (Exception e) {
            return false;
        }
        return false;
    }

    /** The machine's memory in bytes, or -1 when the JVM cannot tell. */
    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }

    /** Set in the child when it runs without the parent's OPENBLAS_CORETYPE (the dropped value), for `info` and the benchmarks. */
    static final String DROPPED_CORE_ENV = "TTQ_DROPPED_OPENBLAS_CORETYPE";

    /** OpenBLAS cores older than AVX-512 (OpenBLAS's names, lower case). */
    private static final Set<String> PRE_AVX512_CORES = Set.of("haswell", "zen", "sandybridge", "nehalem", "core2", "penryn", "dunnington",
            "prescott", "atom", "barcelona", "opteron", "bulldozer", "piledriver", "steamroller", "excavator", "katmai", "coppermine",
            "northwood", "banias", "bobcat");

    /**
     * Whether the child drops an OPENBLAS_CORETYPE that forces a pre-AVX-512 core on a CPU with
     * AVX-512, so that OpenBLAS picks its kernels from CPUID, as it does when nothing is forced
     * (on this 2-core EPYC: Cooperlake kernels, a dense ATIS train step 236 ms instead of 368 ms with
     * the Haswell ones, 2026-12-06). A core never newer than the CPU is the point of detection; the
     * forced value is kept with TTQ_KEEP_OPENBLAS_CORETYPE=1, or when it names an AVX-512 core.
     */
    static boolean dropsForcedBlasCore(String forced, String keep, boolean avx512) {
        return forced != null && !"1".equals(keep) && avx512 && PRE_AVX512_CORES.contains(forced.trim().toLowerCase(java.util.Locale.ROOT));
    }

    static boolean avx512() {
        try {
            return ttq.kernels.NativeLibrary.isLoaded() && ttq.kernels.CpuFeatures.has(ttq.kernels.CpuFeatures.AVX512F)
                    && ttq.kernels.CpuFeatures.has(ttq.kernels.CpuFeatures.AVX512BW) && ttq.kernels.CpuFeatures.has(ttq.kernels.CpuFeatures.AVX512VL)
                    && ttq.kernels.CpuFeatures.has(ttq.kernels.CpuFeatures.OS_AVX512);
        } catch (Throwable t) {
            return false;
        }
    }

    /** The child's exit code, or -1 when this JVM should run the command itself. */
    static int maybeRelaunch(String[] args) {
        if (System.getProperty(CHILD_PROPERTY) != null) {
            // a child follows its parent: if the parent is killed, stop too (a later --resume picks up)
            ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(143)));
            return -1;
        }
        String command = firstCommand(args);
        if ("1".equals(System.getenv("TTQ_NO_RELAUNCH")) || command == null || !LONG_COMMANDS.contains(command)
                || Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            return -1;
        }
        String classPath = System.getProperty("java.class.path", "");
        if (classPath.isEmpty() || !onClassPath(classPath)) {
            return -1; // launched some other way (module path, exec plugins): run here
        }
        long physical = physicalMemory();
        if (physical > 0 && physical < 6L << 30) {
            return -1; // too small a machine for a fixed 3 GB heap
        }
        List<String> jvmArgs = new ArrayList<>(ManagementFactory.getRuntimeMXBean().getInputArguments());
        if (jvmArgs.stream().anyMatch(JvmRelaunch::userControlsJvm)) {
            return -1; // the user chose the heap, or attached an agent/debugger/recording that must not be doubled
        }
        // flags from JAVA_TOOL_OPTIONS / JDK_JAVA_OPTIONS reach the child through the environment anyway
        for (String env : new String[] {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"}) {
            String v = System.getenv(env);
            if (v != null) {
                jvmArgs.removeAll(Arrays.asList(v.trim().split("\\s+")));
            }
        }
        String opts = System.getenv("TTQ_JVM_OPTS");
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(jvmArgs); // keep the user's -D and -XX flags

        for (String o : (opts == null || opts.isBlank() ? defaultOpts(Arrays.asList(args).contains("glue-table4") ? "finetune" : command, physical) : opts).trim().split("\\s+")) {
            cmd.add(o);
        }
        cmd.add("-D" + CHILD_PROPERTY + "=1");
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(Main.class.getName());
        cmd.addAll(Arrays.asList(args));
        try {
            ProcessBuilder builder = new ProcessBuilder(cmd).inheritIO();
            if (dropsForcedBlasCore(System.getenv("OPENBLAS_CORETYPE"), System.getenv("TTQ_KEEP_OPENBLAS_CORETYPE"), avx512())) {
                builder.environment().remove("OPENBLAS_CORETYPE");
                builder.environment().put(DROPPED_CORE_ENV, System.getenv("OPENBLAS_CORETYPE"));
            }
            Process child = builder.start();
            Thread stopChild = new Thread(child::destroy);
            Runtime.getRuntime().addShutdownHook(stopChild);
            int code = child.waitFor();
            Runtime.getRuntime().removeShutdownHook(stopChild);
            return code;
        } catch (IOException e) {
            System.err.println("ttq: could not start a child JVM (" + e.getMessage() + "); running here with the default heap");
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }
}
