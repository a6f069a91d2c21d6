package ttq.kernels.cuda;

/**
 * A block of device memory from a {@link CachingAllocator}: its address and the bytes asked for.
 * Closing it returns the block to the cache; using it after that is an error the launchers catch.
 */
public final class CudaBuffer implements AutoCloseable {
    private final CachingAllocator owner;
    private final long address;
    private final long bytes;
    private boolean closed;

    CudaBuffer(CachingAllocator owner, long address, long bytes) {
        this.owner = owner;
        this.address = address;
        this.bytes = bytes;
    }

    /** The device address; throws once the buffer is closed. */
    public long address() {
        if (closed) {
            throw new IllegalStateException("device buffer of " + bytes + " bytes used after close");
        }
        return address;
    }

    /** The size asked for (the block may be larger). */
    public long bytes() {
        return bytes;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Throws unless the buffer holds at least {@code count} elements of {@code elementBytes}. */
    public CudaBuffer require(long count, int elementBytes, String what) {
        if (count < 0 || count * elementBytes > bytes) {
            throw new IllegalArgumentException(what + ": needs " + count + " elements of " + elementBytes + " bytes, the device buffer has "
                    + bytes + " bytes");
        }
        address();
        return this;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            owner.release(address);
        }
    }
}
