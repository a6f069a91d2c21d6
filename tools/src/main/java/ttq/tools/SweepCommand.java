package ttq.tools;

import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ttq sweep}: runs every point of a {@link SweepPlan} as an ordinary {@code train} or
 * {@code distill} run in its own JVM, N at a time, each with cores/N threads; a point whose run
 * folder has results.json is skipped and one with a checkpoint is resumed, so a sweep killed
 * halfway picks up where it stopped. {@code --emit} writes the same points as a SLURM array
 * script or a Kubernetes indexed Job instead of running them.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, description = "Run a grid of train/distill configurations (resumable), "
        + "or write them as a SLURM array / Kubernetes indexed Job.")
public final class SweepCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "SWEEP.json", description = "The sweep: {\"command\": \"train\", \"out\": DIR, "
            + "\"base\": {options}, \"grid\": {\"option\": [values]}} (JSON or YAML).")
    Path config;

    @Option(names = "--jobs", defaultValue = "1", description = "Points run at once; each gets cores/jobs threads (default ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--out", description = "Sweep folder (default: the file's out).")
    Path out;

    @Option(names = "--emit", paramLabel = "slurm|k8s", description = "Write a cluster job for the points instead of running them.")
    String emit;

    @Option(names = "--jar", description = "With --emit: path of ttq.jar on the cluster (default: this jar's path).")
    String jar;

    @Option(names = "--image", defaultValue = "eclipse-temurin:17-jre", description = "With --emit k8s: container image with a Java 17 runtime "
            + "(default ${DEFAULT-VALUE}); the jar and data come from the volume mounted at /work.")
    String image;

    @Override
    public Integer call() throws Exception {
        if (jobs < 1) {
            throw new UsageException("--jobs must be >= 1, got " + jobs);
        }
        CommandLine root = spec.root().commandLine();
        Map<String, CommandSpec> commands = new LinkedHashMap<>();
        for (String c : SweepPlan.COMMANDS) {
            commands.put(c, root.getSubcommands().get(c).getCommandSpec());
        }
        SweepPlan plan = SweepPlan.read(config, out, commands);
        plan.writeFiles();
        if (emit != null) {
            return emit(plan);
        }
        return run(plan);
    }

    // ------------------------------------------------------------------ local runs

    private int run(SweepPlan plan) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        int threads = Math.max(1, cores / jobs);
        // the JVM flags a lone run of the command gets (JvmRelaunch), as if each job had 1/jobs of the memory
        long physical = JvmRelaunch.physicalMemory();
        long perJobMb = (physical > 0 ? physical >> 20 : 8192) / jobs;
        String jvmOpts = perJobMb < 6144 ? "-Xmx" + Math.max(512, perJobMb / 2) + "m" // too little memory for the fixed 3 GB heap
                : JvmRelaunch.defaultOpts(plan.command(), perJobMb << 20);
        System.out.printf(Locale.ROOT, "sweep: %d points of ttq %s into %s, %d at a time, %d thread(s) each, JVM %s%n",
                plan.points().size(), plan.command(), plan.out(), jobs, threads, jvmOpts);
        ExecutorService pool = Executors.newFixedThreadPool(jobs);
        ConcurrentLinkedQueue<Process> running = new ConcurrentLinkedQueue<>();
        Thread stopChildren = new Thread(() -> running.forEach(Process::destroy));
        Runtime.getRuntime().addShutdownHook(stopChildren);
        AtomicInteger finished = new AtomicInteger();
        List<String> failed = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> futures = new ArrayList<>();
        for (SweepPlan.Point p : plan.points()) {
            futures.add(pool.submit(() -> {
                Path run = plan.runFolder(p);
                if (Files.exists(run.resolve("results.json"))) {
                    System.out.printf("[%d/%d] %s: already finished%n", finished.incrementAndGet(), plan.points().size(), p.name());
                    return null;
                }
                boolean resume = Files.exists(run.resolve("checkpoint.safetensors")); // train's and distill's checkpoint
                List<String> cmd = childCommand(plan, p, threads, jvmOpts, resume);
                Files.createDirectories(run);
                Path log = run.resolve("sweep.log");
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
                pb.environment().put("OPENBLAS_NUM_THREADS", String.valueOf(threads));
                pb.environment().put("TTQ_NO_RELAUNCH", "1");
                long t0 = System.nanoTime();
                System.out.printf("start %s%s%n", p.name(), resume ? " (resuming)" : "");
                Process child = pb.start();
                running.add(child);
                int code = child.waitFor();
                running.remove(child);
                double s = (System.nanoTime() - t0) / 1e9;
                if (code == 0) {
                    System.out.printf(Locale.ROOT, "[%d/%d] %s: done in %.0f s%n", finished.incrementAndGet(), plan.points().size(), p.name(), s);
                } else {
                    failed.add(p.name());
                    System.out.printf(Locale.ROOT, "[%d/%d] %s: FAILED (exit %d after %.0f s; see %s)%n", finished.incrementAndGet(),
                            plan.points().size(), p.name(), code, s, log);
                }
                return null;
            }));
        }
        pool.shutdown();
        for (Future<?> f : futures) {
            f.get();
        }
        Runtime.getRuntime().removeShutdownHook(stopChildren);
        if (!failed.isEmpty()) {
            System.err.println("ttq: sweep: " + failed.size() + " point(s) failed: " + String.join(", ", failed)
                    + " (their sweep.log says why; run the sweep again to retry them)");
            return Main.EXIT_DATA;
        }
        System.out.println("sweep finished: ttq report " + plan.out());
        return 0;
    }

    private static List<String> childCommand(SweepPlan plan, SweepPlan.Point p, int threads, String jvmOpts, boolean resume) {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(List.of(jvmOpts.trim().split("\\s+")));
        cmd.add("-XX:ActiveProcessorCount=" + threads);
        if (!jvmOpts.matches(".*-XX:\\+Use\\w*GC.*")) {
            // a JVM that sees one processor picks the serial collector, which copies the step's large live
            // arrays at every young collection: 1-thread ATIS epochs took 42 s with it, 23.5 s with G1 (2026-11-27)
            cmd.add("-XX:+UseG1GC");
        }
        cmd.add("-D" + JvmRelaunch.CHILD_PROPERTY + "=1"); // the child stops when the sweep is killed
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.add(plan.command());
        cmd.add("--config");
        cmd.add(plan.configFile(p).toString());
        if (resume) {
            cmd.add("--resume");
        }
        return cmd;
    }

    // ------------------------------------------------------------------ cluster jobs

    private int emit(SweepPlan plan) throws IOException {
        String jarPath = jar != null ? jar : thisJar();
        switch (emit) {
            case "slurm" -> {
                Path f = plan.out().resolve("sweep.slurm");
                Files.writeString(f, slurm(plan, jarPath), StandardCharsets.UTF_8);
                f.toFile().setExecutable(true);
                System.out.println("wrote " + f + " (" + plan.points().size() + " array tasks): sbatch " + f);
            }
            case "k8s" -> {
                Path f = plan.out().resolve("sweep-job.yaml");
                Files.writeString(f, kubernetes(plan, jarPath, image), StandardCharsets.UTF_8);
                System.out.println("wrote " + f + " (indexed Job, " + plan.points().size() + " completions): kubectl apply -f " + f);
            }
            default -> throw new UsageException("--emit must be slurm or k8s, got '" + emit + "'");
        }
        return 0;
    }

    private static String thisJar() {
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (entry.endsWith("ttq.jar")) {
                return Path.of(entry).toAbsolutePath().toString();
            }
        }
        return "ttq.jar";
    }

    /** The shell lines every cluster task runs: pick point $1 of the list, skip it if done, resume it if started. */
    static String pointScript(SweepPlan plan, String jarPath, String heap) {
        StringBuilder names = new StringBuilder();
        for (SweepPlan.Point p : plan.points()) {
            names.append(' ').append(shellQuote(p.name()));
        }
        String outDir = shellQuote(plan.out().toString());
        return "POINTS=(" + names.toString().trim() + ")\n"
                + "NAME=\"${POINTS[$1]}\"\n"
                + "RUN=" + outDir + "/points/\"$NAME\"\n"
                + "if [ -f \"$RUN/results.json\" ]; then echo \"$NAME already finished\"; exit 0; fi\n"
                + "EXTRA=()\n"
                + "if [ -f \"$RUN/checkpoint.safetensors\" ]; then EXTRA=(--resume); fi\n"
                + "export TTQ_NO_RELAUNCH=1\n"
                + "exec java -Xmx" + heap + " -cp " + shellQuote(jarPath) + " ttq.tools.Main " + plan.command() + " --config " + outDir
                + "/configs/\"$NAME\".json \"${EXTRA[@]}\"\n";
    }

    static String slurm(SweepPlan plan, String jarPath) {
        String outDir = plan.out().toString();
        return "#!/usr/bin/env bash\n"
                + "# ttq sweep as a SLURM job array: one task per point; sbatch it from the folder the sweep was written in.\n"
                + "#SBATCH --job-name=ttq-sweep\n"
                + "#SBATCH --array=0-" + (plan.points().size() - 1) + "\n"
                + "#SBATCH --cpus-per-task=2\n"
                + "#SBATCH --mem=8G\n"
                + "#SBATCH --output=" + outDir + "/slurm-%A_%a.log\n"
                + "set -euo pipefail\n"
                + "set -- \"$SLURM_ARRAY_TASK_ID\"\n"
                + pointScript(plan, jarPath, "6g");
    }

    static String kubernetes(SweepPlan plan, String jarPath, String image) throws IOException {
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", "ttq");
        container.put("image", image);
        container.put("workingDir", "/work");
        container.put("command", List.of("bash", "-c", "set -euo pipefail\nset -- \"$JOB_COMPLETION_INDEX\"\n" + pointScript(plan, jarPath, "6g"),
                "point"));
        container.put("resources", Map.of("requests", Map.of("cpu", "2", "memory", "8Gi"), "limits", Map.of("memory", "8Gi")));
        container.put("volumeMounts", List.of(Map.of("name", "work", "mountPath", "/work")));
        Map<String, Object> podSpec = new LinkedHashMap<>();
        podSpec.put("restartPolicy", "Never");
        podSpec.put("containers", List.of(container));
        podSpec.put("volumes", List.of(Map.of("name", "work", "persistentVolumeClaim", Map.of("claimName", "ttq-work"))));
        Map<String, Object> jobSpec = new LinkedHashMap<>();
        jobSpec.put("completionMode", "Indexed");
        jobSpec.put("completions", plan.points().size());
        jobSpec.put("parallelism", Math.min(plan.points().size(), 8));
        jobSpec.put("backoffLimitPerIndex", 2);
        jobSpec.put("template", Map.of("spec", podSpec));
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("apiVersion", "batch/v1");
        job.put("kind", "Job");
        job.put("metadata", Map.of("name", "ttq-sweep", "labels", Map.of("app", "ttq-sweep")));
        job.put("spec", jobSpec);
        YAMLFactory yaml = new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE);
        return "# ttq sweep as a Kubernetes indexed Job: one pod per point; the PVC ttq-work holds the jar, the data and "
                + plan.out() + " (written by ttq sweep --emit k8s)\n" + new ObjectMapper(yaml).writeValueAsString(job);
    }

    static String shellQuote(String s) {
        return s.matches("[A-Za-z0-9_./=+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
