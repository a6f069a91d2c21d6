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
 * (or JVM flags that already fix the heap) keeps everything in the first JVM.
 */
final class JvmRelaunch {
    static final String CHILD_PROPERTY = "ttq.child";
    static final String DEFAULT_OPTS = "-Xms3g -Xmx3g -XX:+AlwaysPreTouch";
    private static final Set<String> LONG_COMMANDS = Set.of("train", "reproduce", "bench");

    private JvmRelaunch() {
    }

    /** The child's exit code, or -1 when this JVM should run the command itself. */
    static int maybeRelaunch(String[] args) {
        if (System.getProperty(CHILD_PROPERTY) != null) {
            // a child follows its parent: if the parent is killed, stop too (a later --resume picks up)
            ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(143)));
            return -1;
        }
        if ("1".equals(System.getenv("TTQ_NO_RELAUNCH")) || args.length == 0 || !LONG_COMMANDS.contains(args[0])
                || Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            return -1;
        }
        List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
        if (jvmArgs.stream().anyMatch(a -> a.startsWith("-Xms") || a.startsWith("-XX:+AlwaysPreTouch"))) {
            return -1; // the user chose the heap
        }
        String opts = System.getenv("TTQ_JVM_OPTS");
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(jvmArgs); // keep the user's -D and -XX flags
        for (String o : (opts == null || opts.isBlank() ? DEFAULT_OPTS : opts).trim().split("\\s+")) {
            cmd.add(o);
        }
        cmd.add("-D" + CHILD_PROPERTY + "=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(Arrays.asList(args));
        try {
            Process child = new ProcessBuilder(cmd).inheritIO().start();
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
