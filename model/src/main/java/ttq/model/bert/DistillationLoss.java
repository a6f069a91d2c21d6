package ttq.model.bert;

import ttq.engine.Ops;
import ttq.engine.Tensor;

/**
 * The losses of layer-by-layer distillation (section 2.3 of the QAT tensor-compressed paper):
 * L_0 = MSE + COS on the embedding output; L_i = L_{i-1} + MSE + COS on block i's output + CE
 * between block i's attention probabilities; L_all (eq. 3) = L_L + CE of the soft labels at
 * temperature T. COS is used as the loss 1 - cosine similarity (per token, averaged). Teacher
 * outputs are constants (computed without a graph).
 */
public final class DistillationLoss {
    private DistillationLoss() {
    }

    /**
     * L_k: embedding output plus the first {@code k} student blocks, student block i matched to
     * teacher block {@code BertStudent.teacherBlock(i, ...)} (the identity when depths are equal).
     */
    public static Tensor layers(BertOutput teacher, BertOutput student, int k, int teacherLayers, int studentLayers) {
        Tensor loss = mseCos(teacher.hidden().get(0), student.hidden().get(0));
        for (int i = 0; i < k; i++) {
            int t = BertStudent.teacherBlock(i, studentLayers, teacherLayers);
            loss = loss.add(mseCos(teacher.hidden().get(t + 1), student.hidden().get(i + 1)));
            loss = loss.add(attentionCrossEntropy(teacher.attention().get(t), student.attention().get(i)));
        }
        return loss;
    }

    /** MSE + (1 - cosine similarity) over the last axis. */
    public static Tensor mseCos(Tensor teacher, Tensor student) {
        Tensor cos = Ops.cosineSimilarity(student, teacher, -1, 1e-8f);
        return Ops.mse(student, teacher).add(cos.mul(-1f).add(1f).mean());
    }

    /** Mean over batch, heads and query positions of -sum_k p_t log p_s (p_s floored at 1e-9: masked keys have p = 0). */
    public static Tensor attentionCrossEntropy(Tensor teacher, Tensor student) {
        int rows = student.numel() / student.dim(-1);
        return teacher.mul(student.add(1e-9f).log()).sum().mul(-1f / rows);
    }

    /** Soft-label cross-entropy CE(softmax(z_t / T), softmax(z_s / T)), averaged over the batch. */
    public static Tensor softLabels(Tensor teacherLogits, Tensor studentLogits, float temperature) {
        Tensor pt = teacherLogits.mul(1f / temperature).softmax(-1);
        Tensor logPs = studentLogits.mul(1f / temperature).logSoftmax(-1);
        return pt.mul(logPs).sum().mul(-1f / studentLogits.dim(0));
    }
}
