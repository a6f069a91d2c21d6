package ttq.kernels.cuda;

/**
 * Launches one kernel of the fatbin by name. {@link CudaRuntime} launches on the GPU; tests record
 * the launches to check geometry and arguments without one. Arguments are {@link CudaBuffer}s
 * (passed as device pointers), {@link Integer}, {@link Long} or {@link Float}, in the kernel's
 * parameter order.
 */
public interface KernelLauncher {
    void launch(String kernel, LaunchGeometry geometry, Object... args);
}
