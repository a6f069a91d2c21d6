package ttq.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.optim.Adam;

class MlpTest {
    @Test
    void learnsXorLikeTask() {
        Mlp mlp = new Mlp(2, 16, 2, 0f, 3);
        Adam opt = new Adam(mlp.parameters(), 0.05f);
        Tensor x = Tensor.of(new float[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2);
        int[] y = {0, 1, 1, 0};
        float first = 0, last = 0;
        for (int step = 0; step < 300; step++) {
            opt.zeroGrad();
            Tensor loss = Ops.crossEntropy(mlp.forward(x), y, -1);
            if (step == 0) {
                first = loss.item();
            }
            last = loss.item();
            loss.backward();
            opt.step();
        }
        assertTrue(last < 0.05f * first, "loss " + first + " -> " + last);
    }

    @Test
    void sameSeedSameModel() {
        assertArrayEquals(new Mlp(5, 7, 3, 0.1f, 9).parameters().get(0).data(), new Mlp(5, 7, 3, 0.1f, 9).parameters().get(0).data());
    }

    @Test
    void linearChecksItsInput() {
        Linear l = new Linear(4, 2, true, new Random(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.forward(Tensor.zeros(3, 5)));
        assertTrue(e.getMessage().contains("must end in 4"), e.getMessage());
        assertArrayEquals(new int[] {2}, l.forward(Tensor.zeros(4)).shape());
    }
}
