package ttq.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CachingAllocatorTest {
    /** A device of a fixed size that hands out fake addresses and checks frees. */
    static final class FakeDevice implements DeviceMemory {
        final long capacity;
        final Map<Long, Long> blocks = new HashMap<>();
        long used;
        long next = 0x1000;
        int allocations;
        int frees;

        FakeDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public long allocate(long bytes) {
            if (used + bytes > capacity) {
                throw new CudaException("cuMemAlloc(" + bytes + " bytes)", CudaException.OUT_OF_MEMORY, "out of memory");
            }
            allocations++;
            used += bytes;
            long a = next;
            next += bytes + 256;
            blocks.put(a, bytes);
            return a;
        }

        @Override
        public void free(long address) {
            Long b = blocks.remove(address);
            assertTrue(b != null, "free of an unknown address");
            used -= b;
            frees++;
        }
    }

    @Test
    void sizesRoundToTheirClass() {
        assertEquals(512, CachingAllocator.roundedSize(1));
        assertEquals(1024, CachingAllocator.roundedSize(513));
        assertEquals(2L << 20, CachingAllocator.roundedSize((1L << 20) + 1));
        assertEquals(4L << 20, CachingAllocator.roundedSize((2L << 20) + 1));
        assertThrows(IllegalArgumentException.class, () -> CachingAllocator.roundedSize(0));
    }

    @Test
    void aFreedBlockIsReusedForTheSameSizeClass() {
        FakeDevice dev = new FakeDevice(1L << 30);
        CachingAllocator a = new CachingAllocator(dev);
        CudaBuffer x = a.allocate(1000);
        long address = x.address();
        x.close();
        assertEquals(1024, a.cachedBytes());
        CudaBuffer y = a.allocate(900); // same 1024-byte class
        assertEquals(address, y.address());
        assertEquals(1, dev.allocations);
        CudaBuffer z = a.allocate(5000); // another class: a fresh block
        assertNotEquals(address, z.address());
        assertEquals(2, dev.allocations);
        assertEquals(1024 + 5120, a.liveBytes());
        y.close();
        z.close();
        a.emptyCache();
        assertEquals(0, a.cachedBytes());
        assertEquals(2, dev.frees);
        assertEquals(0, dev.used);
    }

    @Test
    void aFullDeviceEmptiesTheCacheAndRetries() {
        FakeDevice dev = new FakeDevice(8L << 20);
        CachingAllocator a = new CachingAllocator(dev);
        a.allocate(6L << 20).close(); // 6 MiB cached
        CudaBuffer big = a.allocate(4L << 20); // does not fit beside the cached block
        assertEquals(0, a.cachedBytes());
        assertEquals(4L << 20, a.liveBytes());
        assertEquals(6L << 20, a.peakBytes());
        CudaException e = assertThrows(CudaException.class, () -> a.allocate(6L << 20));
        assertTrue(e.isOutOfMemory(), e.getMessage());
        big.close();
    }

    @Test
    void useAfterCloseAndDoubleReleaseAreErrors() {
        CachingAllocator a = new CachingAllocator(new FakeDevice(1 << 20));
        CudaBuffer x = a.allocate(64);
        x.close();
        x.close(); // idempotent
        assertThrows(IllegalStateException.class, x::address);
        assertThrows(IllegalStateException.class, () -> a.release(0xdead));
    }
}
