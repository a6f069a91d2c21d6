package ttq.kernels.cuda;

/**
 * Raw device allocations: {@code cuMemAlloc} / {@code cuMemFree} on a GPU, or a fake in tests of
 * the {@link CachingAllocator}. Addresses are opaque non-zero longs.
 */
public interface DeviceMemory {
    /** Allocates {@code bytes} (> 0); throws {@link CudaException} with {@link CudaException#isOutOfMemory()} when full. */
    long allocate(long bytes);

    /** Frees an address {@link #allocate} returned. */
    void free(long address);
}
