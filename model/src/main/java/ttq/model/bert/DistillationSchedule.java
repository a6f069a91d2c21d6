package ttq.model.bert;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The stages of distilling a student, all methods in the same budget of epochs: {@code layerwise}
 * (the paper: L_0, L_1, .., L_L for {@code phaseEpochs} each at {@code lr}, then L_all for
 * {@code finalEpochs} at {@code finalLr}), {@code all} (L_all from the start, the same epochs and
 * rates) and {@code xtc} (one-stage L_all over the budget of layerwise on the teacher's depth, at
 * {@code finalLr}).
 */
public final class DistillationSchedule {
    private DistillationSchedule() {
    }

    /** One stage: the loss (student blocks matched, -1 for L_all, eq. 3 with soft labels), its learning rate and epochs. */
    public record Stage(int blocks, float lr, int epochs) {
        /** L_k or L_all. */
        public String name() {
            return blocks < 0 ? "L_all" : "L_" + blocks;
        }

        /** Whether the loss adds the soft labels (L_all). */
        public boolean softLabels() {
            return blocks < 0;
        }
    }

    /** The stages of a method for a student of {@code studentLayers} blocks and a teacher of {@code teacherLayers}. */
    public static List<Stage> of(String method, int studentLayers, int teacherLayers, int phaseEpochs, int finalEpochs, float lr, float finalLr) {
        List<Stage> stages = new ArrayList<>();
        switch (method) {
            case "layerwise" -> {
                for (int k = 0; k <= studentLayers && phaseEpochs > 0; k++) {
                    stages.add(new Stage(k, lr, phaseEpochs));
                }
            }
            case "all" -> {
                if (phaseEpochs > 0) {
                    stages.add(new Stage(-1, lr, phaseEpochs * (studentLayers + 1)));
                }
            }
            case "xtc" -> stages.add(new Stage(-1, finalLr, phaseEpochs * (teacherLayers + 1) + finalEpochs));
            default -> throw new IllegalArgumentException("distillation method must be layerwise, all or xtc, got '" + method + "'");
        }
        if (!method.equals("xtc") && finalEpochs > 0) {
            stages.add(new Stage(-1, finalLr, finalEpochs));
        }
        return stages;
    }

    /** "L_0 x1 @1e-03, ..., L_all x1 @5e-05". */
    public static String describe(List<Stage> stages) {
        StringBuilder sb = new StringBuilder();
        for (Stage s : stages) {
            sb.append(sb.length() == 0 ? "" : ", ").append(s.name()).append(" x").append(s.epochs())
                    .append(String.format(Locale.ROOT, " @%.0e", s.lr()));
        }
        return sb.toString();
    }
}
