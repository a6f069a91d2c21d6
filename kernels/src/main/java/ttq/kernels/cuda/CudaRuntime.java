package ttq.kernels.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * GPU 0 through the CUDA driver API (bytedeco's {@code cuda} preset, which uses the machine's
 * CUDA libraries): the primary context, one stream, our fatbin's kernels, a
 * {@link CachingAllocator} and explicit host/device copies. Whether CUDA is usable is decided once;
 * when it is not, {@link #unavailableReason()} says why (no CUDA libraries, no driver, no device,
 * or a build without nvcc) and nothing else here may be called.
 */
public final class CudaRuntime implements KernelLauncher, DeviceMemory {
    /** Where the build puts the fatbin compiled from native/cuda. */
    public static final String FATBIN_RESOURCE = "/ttq/kernels/cuda/ttq_kernels.fatbin";

    private static final CudaRuntime INSTANCE;
    private static final String UNAVAILABLE;

    static {
        CudaRuntime runtime = null;
        String reason;
        try {
            runtime = new CudaRuntime();
            reason = null;
        } catch (Throwable t) {
            reason = t.getMessage() == null ? t.toString() : t.getMessage();
        }
        INSTANCE = runtime;
        UNAVAILABLE = reason;
    }

    private final CUctx_st context = new CUctx_st();
    private final CUstream_st stream = new CUstream_st();
    private final CUmod_st module = new CUmod_st();
    private final Map<String, CUfunc_st> functions = new HashMap<>();
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);
    private final CachingAllocator allocator = new CachingAllocator(this);
    private final String deviceName;
    private final int computeCapability;

    private CudaRuntime() throws IOException {
        byte[] fatbin = readFatbin();
        try {
            Loader.load(org.bytedeco.cuda.global.cudart.class);
        } catch (Throwable t) {
            if (findDriverLibrary() == null) { // the usual case on a machine without a GPU: say that, not the loader's symptom
                throw new IllegalStateException("no NVIDIA driver on this machine (libcuda.so.1 is not in LD_LIBRARY_PATH or the system library folders)");
            }
            throw new IllegalStateException("the CUDA libraries could not be loaded (" + t + "); the CUDA 13 runtime (libcudart.so.13) is needed");
        }
        int rc = cuInit(0);
        if (rc != CUDA_SUCCESS) {
            throw new IllegalStateException("cuInit failed: CUDA error " + rc + " (" + errorString(rc) + "): no usable GPU driver");
        }
        int[] count = new int[1];
        check("cuDeviceGetCount", cuDeviceGetCount(count));
        if (count[0] < 1) {
            throw new IllegalStateException("the CUDA driver reports no GPU");
        }
        check("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain(context, 0));
        makeCurrent();
        byte[] name = new byte[256];
        check("cuDeviceGetName", cuDeviceGetName(name, name.length, 0));
        int end = 0;
        while (end < name.length && name[end] != 0) {
            end++;
        }
        deviceName = new String(name, 0, end, java.nio.charset.StandardCharsets.US_ASCII);
        int[] major = new int[1], minor = new int[1];
        check("cuDeviceGetAttribute", cuDeviceGetAttribute(major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 0));
        check("cuDeviceGetAttribute", cuDeviceGetAttribute(minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0));
        computeCapability = major[0] * 10 + minor[0];
        check("cuStreamCreate", cuStreamCreate(stream, CU_STREAM_NON_BLOCKING));
        BytePointer image = new BytePointer(fatbin.length);
        image.put(fatbin);
        check("cuModuleLoadData (ttq_kernels.fatbin: sm_80, sm_90 and compute_90 PTX)", cuModuleLoadData(module, image));
        for (String kernel : CudaOps.KERNELS) {
            CUfunc_st f = new CUfunc_st();
            check("cuModuleGetFunction " + kernel, cuModuleGetFunction(f, module, kernel));
            functions.put(kernel, f);
        }
    }

    /** Where libcuda.so.1 (the driver, installed with the GPU, never shipped by us) is, or null. */
    static String findDriverLibrary() {
        java.util.List<String> dirs = new java.util.ArrayList<>();
        for (String env : new String[] {"LD_LIBRARY_PATH"}) {
            String v = System.getenv(env);
            if (v != null) {
                dirs.addAll(java.util.Arrays.asList(v.split(":")));
            }
        }
        dirs.addAll(java.util.List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/lib64",
                "/usr/local/cuda/compat", "/usr/local/nvidia/lib64", "/usr/lib/wsl/lib"));
        for (String dir : dirs) {
            if (!dir.isEmpty() && java.nio.file.Files.exists(java.nio.file.Path.of(dir, "libcuda.so.1"))) {
                return dir;
            }
        }
        return null;
    }

    private static byte[] readFatbin() throws IOException {
        try (InputStream in = CudaRuntime.class.getResourceAsStream(FATBIN_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("this build has no CUDA kernels (" + FATBIN_RESOURCE
                        + " is missing: nvcc was not found when ttq-kernels was built)");
            }
            return in.readAllBytes();
        }
    }

    /** True when a GPU, its driver and our kernels are all usable. */
    public static boolean isAvailable() {
        return INSTANCE != null;
    }

    /** Why CUDA is unusable here, or null when it is usable. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** One line for {@code ttq info}. */
    public static String status() {
        return INSTANCE != null ? INSTANCE.deviceName + " (sm_" + INSTANCE.computeCapability + ")" : "unavailable: " + UNAVAILABLE;
    }

    /** The runtime; throws {@link IllegalStateException} with the reason when CUDA is unusable. */
    public static CudaRuntime get() {
        if (INSTANCE == null) {
            throw new IllegalStateException("CUDA is not available: " + UNAVAILABLE);
        }
        return INSTANCE;
    }

    public String deviceName() {
        return deviceName;
    }

    public CachingAllocator allocator() {
        return allocator;
    }

    /** Launchers for our kernels on this GPU. */
    public CudaOps ops() {
        return new CudaOps(this, allocator);
    }

    private void makeCurrent() {
        if (!current.get()) {
            check("cuCtxSetCurrent", cuCtxSetCurrent(context));
            current.set(true);
        }
    }

    // ------------------------------------------------------------------ memory

    @Override
    public long allocate(long bytes) {
        makeCurrent();
        long[] address = new long[1];
        check("cuMemAlloc(" + bytes + " bytes)", cuMemAlloc(address, bytes));
        return address[0];
    }

    @Override
    public void free(long address) {
        makeCurrent();
        check("cuMemFree", cuMemFree(address));
    }

    /** Copies {@code src} to the start of {@code dst} and waits for the copy. */
    public void upload(float[] src, CudaBuffer dst) {
        dst.require(src.length, Float.BYTES, "upload");
        try (FloatPointer p = new FloatPointer(src)) {
            copyIn(dst, p, (long) src.length * Float.BYTES);
        }
    }

    public void upload(int[] src, CudaBuffer dst) {
        dst.require(src.length, Integer.BYTES, "upload");
        try (IntPointer p = new IntPointer(src)) {
            copyIn(dst, p, (long) src.length * Integer.BYTES);
        }
    }

    public void upload(long[] src, CudaBuffer dst) {
        dst.require(src.length, Long.BYTES, "upload");
        try (LongPointer p = new LongPointer(src)) {
            copyIn(dst, p, (long) src.length * Long.BYTES);
        }
    }

    public void upload(byte[] src, CudaBuffer dst) {
        dst.require(src.length, 1, "upload");
        try (BytePointer p = new BytePointer(src)) {
            copyIn(dst, p, src.length);
        }
    }

    /** Copies the first {@code dst.length} floats of {@code src} back, after the stream's work. */
    public void download(CudaBuffer src, float[] dst) {
        src.require(dst.length, Float.BYTES, "download");
        try (FloatPointer p = new FloatPointer(dst.length)) {
            copyOut(p, src, (long) dst.length * Float.BYTES);
            p.get(dst);
        }
    }

    public void download(CudaBuffer src, int[] dst) {
        src.require(dst.length, Integer.BYTES, "download");
        try (IntPointer p = new IntPointer(dst.length)) {
            copyOut(p, src, (long) dst.length * Integer.BYTES);
            p.get(dst);
        }
    }

    public void download(CudaBuffer src, byte[] dst) {
        src.require(dst.length, 1, "download");
        try (BytePointer p = new BytePointer(dst.length)) {
            copyOut(p, src, dst.length);
            p.get(dst);
        }
    }

    private void copyIn(CudaBuffer dst, Pointer host, long bytes) {
        makeCurrent();
        check("cuMemcpyHtoDAsync", cuMemcpyHtoDAsync(dst.address(), host, bytes, stream));
        synchronize(); // the host buffer is freed on return
    }

    private void copyOut(Pointer host, CudaBuffer src, long bytes) {
        makeCurrent();
        check("cuMemcpyDtoHAsync", cuMemcpyDtoHAsync(host, src.address(), bytes, stream));
        synchronize();
    }

    /** Waits for everything queued on the stream; a kernel's asynchronous failure surfaces here. */
    public void synchronize() {
        makeCurrent();
        check("cuStreamSynchronize", cuStreamSynchronize(stream));
    }

    // ------------------------------------------------------------------ launches

    @Override
    public void launch(String kernel, LaunchGeometry g, Object... args) {
        CUfunc_st f = functions.get(kernel);
        if (f == null) {
            throw new IllegalArgumentException("no CUDA kernel named " + kernel);
        }
        makeCurrent();
        Pointer[] values = new Pointer[args.length];
        try (PointerPointer<Pointer> params = new PointerPointer<>(args.length)) {
            for (int i = 0; i < args.length; i++) {
                values[i] = argument(kernel, i, args[i]);
                params.put(i, values[i]);
            }
            check("cuLaunchKernel " + kernel, cuLaunchKernel(f, g.gridX(), g.gridY(), g.gridZ(), g.blockX(), g.blockY(), g.blockZ(),
                    g.sharedBytes(), stream, params, null));
        } finally {
            for (Pointer p : values) {
                if (p != null) {
                    p.close();
                }
            }
        }
    }

    /** The launch reads each argument through a pointer to its value (cuLaunchKernel's kernelParams). */
    private static Pointer argument(String kernel, int index, Object arg) {
        if (arg instanceof CudaBuffer b) {
            return new LongPointer(1).put(b.address());
        } else if (arg instanceof Integer v) {
            return new IntPointer(1).put(v);
        } else if (arg instanceof Long v) {
            return new LongPointer(1).put(v);
        } else if (arg instanceof Float v) {
            return new FloatPointer(1).put(v);
        }
        throw new IllegalArgumentException(kernel + ": argument " + index + " has unsupported type " + (arg == null ? "null" : arg.getClass()));
    }

    private static void check(String call, int rc) {
        if (rc != CUDA_SUCCESS) {
            throw new CudaException(call, rc, errorString(rc));
        }
    }

    private static String errorString(int rc) {
        try (PointerPointer<BytePointer> text = new PointerPointer<>(1)) {
            if (cuGetErrorString(rc, text) == CUDA_SUCCESS && text.get(0) != null) {
                return text.getString(0);
            }
        } catch (Throwable ignored) {
            // fall through: the code alone
        }
        return null;
    }
}
