package ttq.kernels.cuda;

/** A failed CUDA call, naming the call and the driver's error. */
public final class CudaException extends RuntimeException {
    /** CUDA_ERROR_OUT_OF_MEMORY of the driver API. */
    public static final int OUT_OF_MEMORY = 2;
    private final int code;

    public CudaException(String call, int code, String description) {
        super(call + " failed: CUDA error " + code + (description == null ? "" : " (" + description + ")"));
        this.code = code;
    }

    /** The driver API's CUresult. */
    public int code() {
        return code;
    }

    public boolean isOutOfMemory() {
        return code == OUT_OF_MEMORY;
    }
}
