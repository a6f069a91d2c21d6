package ttq.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import ttq.kernels.Parallel;

/** The blocked permute equals the index definition on shapes larger than one block, on one thread and on all. */
class PermuteTest {
    @Property(tries = 40)
    void permuteMatchesTheIndexDefinition(@ForAll long seed) {
        Random r = new Random(seed);
        int rank = 1 + r.nextInt(6);
        int[] shape = new int[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = 1 + r.nextInt(9);
        }
        int[] perm = new int[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = i;
        }
        for (int i = rank - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        Tensor x = Tensor.zeros(shape);
        for (int i = 0; i < x.numel(); i++) {
            x.data()[i] = i;
        }
        Parallel.setThreads(1 + r.nextInt(2));
        Tensor y;
        try {
            y = x.permute(perm);
        } finally {
            Parallel.setThreads(Runtime.getRuntime().availableProcessors());
        }
        int[] inStrides = Shape.strides(shape), outShape = y.shape();
        int[] idx = new int[rank];
        for (int o = 0; o < y.numel(); o++) {
            int rem = o, src = 0;
            for (int i = rank - 1; i >= 0; i--) {
                idx[i] = rem % outShape[i];
                rem /= outShape[i];
                src += idx[i] * inStrides[perm[i]];
            }
            assertEquals(src, (int) y.data()[o], "element " + o + " of shape " + java.util.Arrays.toString(shape) + " permuted "
                    + java.util.Arrays.toString(perm));
        }
    }
}
