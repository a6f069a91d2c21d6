package ttq.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import ttq.kernels.Blas;
import ttq.kernels.CpuFeatures;
import ttq.kernels.Int8Path;
import ttq.kernels.NativeLibrary;
import ttq.kernels.Parallel;

/**
 * {@code ttq info}: versions, OpenBLAS core and threads, CPU features, native library status; with
 * {@code --model}, a trained model's configuration and how the inference runtime runs each layer
 * (integer or float, the contraction order of each integer TT layer and the timings that chose it).
 */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print versions, OpenBLAS core type and threads, CPU features and native library status.")
public final class InfoCommand implements Callable<Integer> {
    @picocli.CommandLine.Option(names = "--model", paramLabel = "FILE", description = "Also describe this model (compact or checkpoint) "
            + "and its runtime plan.")
    Path model;

    @picocli.CommandLine.Option(names = "--tt-order", defaultValue = "auto", paramLabel = "auto|pair|chain",
            description = "With --model: the runtime's TT order to describe (default ${DEFAULT-VALUE}: timed).")
    String ttOrder;

    @Override
    public Integer call() throws IOException {
        System.out.printf("ttq          %s%n", Versions.ttq());
        System.out.printf("java         %s (%s, %s)%n", System.getProperty("java.version"), System.getProperty("java.vm.name"),
                System.getProperty("java.vendor"));
        System.out.printf("javacpp      %s%n", Versions.javacpp());
        System.out.printf("openblas     %s (bytedeco preset)%n", Versions.openblas());
        System.out.printf("os/arch      %s %s, %d cores%n", System.getProperty("os.name"), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors());
        System.out.printf("cpu          %s%n", cpuModel());
        System.out.printf("native       %s%n", NativeLibrary.status());
        System.out.printf("cuda         %s%n", ttq.kernels.cuda.CudaRuntime.status());
        if (!NativeLibrary.isLoaded()) {
            return Main.EXIT_DATA;
        }
        System.out.printf("cpu features %s%n", String.join(" ", CpuFeatures.names()));
        System.out.printf("skinny fp32  %s (TT / low-rank products)%n", ttq.kernels.SkinnyGemm.path());
        System.out.printf("blas core    %s%n", Blas.coreName());
        System.out.printf("blas threads %d (OpenBLAS itself %d: large products are split over ttq's workers)%n", Blas.threads(), Blas.openblasThreads());
        System.out.printf("blas config  %s%n", Blas.config());
        String forced = System.getenv("OPENBLAS_CORETYPE");
        if (forced != null) {
            System.out.printf("             OPENBLAS_CORETYPE=%s is set in the environment (core forced, not detected)%n", forced);
            if (JvmRelaunch.dropsForcedBlasCore(forced, System.getenv("TTQ_KEEP_OPENBLAS_CORETYPE"), JvmRelaunch.avx512())) {
                System.out.printf("             train, bench, reproduce, finetune and distill drop it in their child JVM: the CPU has AVX-512"
                        + " (TTQ_KEEP_OPENBLAS_CORETYPE=1 keeps it)%n");
            }
        }
        System.out.printf("java threads %d (elementwise kernels split above %d elements)%n", Parallel.threads(), Parallel.GRAIN);
        StringBuilder paths = new StringBuilder();
        for (Int8Path p : Int8Path.supportedPaths()) {
            paths.append(paths.length() == 0 ? "" : ", ").append(p);
        }
        String int8;
        try {
            Int8Path sel = Int8Path.selected();
            int8 = sel + " (" + sel.description() + ")";
        } catch (IllegalStateException | IllegalArgumentException e) {
            int8 = "REFUSED: " + e.getMessage();
        }
        System.out.printf("int8 path    %s; supported: %s%n", int8, paths);
        if (model != null) {
            if (!Files.isRegularFile(model)) {
                throw new UsageException("--model " + model + ": no such file");
            }
            ttq.model.infer.TtOrder order;
            try {
                order = ttq.model.infer.TtOrder.parse(ttOrder);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--tt-order: " + e.getMessage());
            }
            ttq.model.train.SavedJointModel saved = ttq.model.train.SavedJointModel.open(model);
            System.out.printf("model        %s%n", model);
            for (java.util.Map.Entry<String, Object> e : ServeCommand.describe(saved).entrySet()) {
                if (e.getValue() != null && !e.getKey().equals("file")) {
                    System.out.printf("  %-20s %s%n", e.getKey(), e.getValue());
                }
            }
            System.out.println("runtime plan (ttq eval / predict / serve):");
            for (String line : ttq.model.infer.JointRuntime.of(saved.net(), order).describe()) {
                System.out.println("  " + line);
            }
        }
        return 0;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
