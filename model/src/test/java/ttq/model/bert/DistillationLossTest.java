package ttq.model.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import ttq.engine.Tensor;

class DistillationLossTest {
    @Test
    void mseCosIsZeroForEqualStatesAndGrowsWithTheAngle() {
        Tensor a = Tensor.normal(new Random(1), 1f, 2, 3, 8);
        assertEquals(0.0, DistillationLoss.mseCos(a, a).item(), 1e-6);
        Tensor neg = a.mul(-1f);
        // opposite vectors: cosine -1 per token, so COS = 2; MSE = mean((2a)^2)
        double mse = 0;
        for (float v : a.data()) {
            mse += 4.0 * v * v;
        }
        mse /= a.numel();
        assertEquals(mse + 2.0, DistillationLoss.mseCos(a, neg).item(), 1e-4);
    }

    @Test
    void attentionCrossEntropyOfADistributionWithItselfIsItsEntropy() {
        Tensor p = Tensor.wrap(new float[] {0.5f, 0.5f, 0f, 1f, 0f, 0f}, 1, 1, 2, 3);
        // rows: entropy ln 2 and 0 (the masked zero keys contribute nothing), mean over 2 rows
        assertEquals(Math.log(2) / 2, DistillationLoss.attentionCrossEntropy(p, p).item(), 1e-6);
    }

    @Test
    void softLabelsAtTemperatureOne() {
        Tensor t = Tensor.wrap(new float[] {2f, 0f}, 1, 2), s = Tensor.wrap(new float[] {0f, 0f}, 1, 2);
        // -sum p_t log(1/2) = ln 2
        assertEquals(Math.log(2), DistillationLoss.softLabels(t, s, 1f).item(), 1e-6);
    }

    @Test
    void studentModesFactorTheWidths() {
        assertArrayEquals(new int[] {16, 24}, ttq.model.tt.ModeFactoring.two(384));
        assertArrayEquals(new int[] {32, 48}, ttq.model.tt.ModeFactoring.two(1536));
        int[] f3 = ttq.model.tt.ModeFactoring.three(384);
        assertEquals(384, f3[0] * f3[1] * f3[2]);
        assertEquals(8, Math.max(f3[0], Math.max(f3[1], f3[2])));
        int[] rows = ttq.model.tt.ModeFactoring.rowsCovering(30522);
        assertArrayEquals(new int[] {32, 32, 30}, rows);
        assertEquals(5, BertStudent.teacherBlock(2, 3, 6));
        assertEquals(1, BertStudent.teacherBlock(0, 3, 6));
        assertEquals(3, BertStudent.teacherBlock(3, 6, 6));
    }

    @Test
    void anSvdInitialisedFullRankStudentStartsAtTheTeacher() throws Exception {
        BertConfig c = new BertConfig(100, 8, 2, 2, 16, 16, 2, 1e-12f, 0f);
        BertEncoder teacher = new BertEncoder(c, 5);
        teacher.eval();
        BertEncoder student = BertStudent.build(c, new BertStudent.Spec(BertStudent.Kind.TT, 64, 32, 64, true, false, 0),
                BertWeights.toHuggingFace(teacher), 1);
        student.eval();
        BertInput in = new BertInput(new int[] {1, 7, 99, 3}, new int[4], new int[] {1, 1, 1, 0}, 2, 2);
        float[] a = teacher.forward(in).toArray(), b = student.forward(in).toArray();
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-3, "value " + i);
        }
    }
}
