package ttq.kernels.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keeps freed device blocks for reuse, as PyTorch's caching allocator does: {@code cuMemAlloc} and
 * {@code cuMemFree} synchronise the device and cost tens of microseconds, while a training step
 * allocates the same sizes every step. Sizes are rounded up (512 bytes below 1 MiB, 2 MiB above)
 * and a freed block is reused only for the same rounded size. When the device is full the cache is
 * emptied and the allocation tried once more. Not thread-safe beyond its own monitor: one stream.
 */
public final class CachingAllocator {
    static final long SMALL_LIMIT = 1L << 20;
    static final long SMALL_ROUND = 512;
    static final long LARGE_ROUND = 2L << 20;

    private final DeviceMemory memory;
    private final TreeMap<Long, ArrayDeque<Long>> cached = new TreeMap<>();
    private final Map<Long, Long> live = new HashMap<>();
    private long liveBytes;
    private long cachedBytes;
    private long peakBytes;
    private long deviceAllocations;

    public CachingAllocator(DeviceMemory memory) {
        this.memory = memory;
    }

    /** The size class a request of {@code bytes} is served from. */
    public static long roundedSize(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("allocation of " + bytes + " bytes");
        }
        long unit = bytes < SMALL_LIMIT ? SMALL_ROUND : LARGE_ROUND;
        return (bytes + unit - 1) / unit * unit;
    }

    /** A block of at least {@code bytes}, from the cache when one of its size class is free. */
    public synchronized CudaBuffer allocate(long bytes) {
        long size = roundedSize(bytes);
        ArrayDeque<Long> free = cached.get(size);
        long address;
        if (free != null && !free.isEmpty()) {
            address = free.pop();
            cachedBytes -= size;
        } else {
            address = allocateFresh(size);
        }
        live.put(address, size);
        liveBytes += size;
        peakBytes = Math.max(peakBytes, liveBytes + cachedBytes);
        return new CudaBuffer(this, address, bytes);
    }

    private long allocateFresh(long size) {
        try {
            deviceAllocations++;
            return memory.allocate(size);
        } catch (CudaException e) {
            if (!e.isOutOfMemory() || cachedBytes == 0) {
                throw e;
            }
            emptyCache();
            return memory.allocate(size);
        }
    }

    /** Returns a block to the cache (called by {@link CudaBuffer#close()}). */
    synchronized void release(long address) {
        Long size = live.remove(address);
        if (size == null) {
            throw new IllegalStateException("device block 0x" + Long.toHexString(address) + " released twice or not from this allocator");
        }
        liveBytes -= size;
        cachedBytes += size;
        cached.computeIfAbsent(size, s -> new ArrayDeque<>()).push(address);
    }

    /** Frees every cached block on the device (live blocks stay). */
    public synchronized void emptyCache() {
        for (ArrayDeque<Long> blocks : cached.values()) {
            for (long address : blocks) {
                memory.free(address);
            }
        }
        cached.clear();
        cachedBytes = 0;
    }

    /** Bytes in blocks handed out and not yet released. */
    public synchronized long liveBytes() {
        return liveBytes;
    }

    /** Bytes in freed blocks kept for reuse. */
    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** The most device memory held at once (live + cached). */
    public synchronized long peakBytes() {
        return peakBytes;
    }

    /** How many times the device itself was asked for memory. */
    public synchronized long deviceAllocations() {
        return deviceAllocations;
    }
}
