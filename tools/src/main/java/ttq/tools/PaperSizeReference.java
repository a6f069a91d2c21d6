package ttq.tools;

import java.util.LinkedHashMap;
import java.util.Map;
import ttq.model.size.Precision;
import ttq.model.size.SizePresets;

/**
 * The sizes and FLOPs the paper reports for its two models, printed next to ours by
 * {@code ttq size} as reference text (never used in the computation).
 *
 * <p>Table 2 (ATIS): full-size 63 MB; tensor-compressed FP32 3.3 MB (19x), INT8 1.4 MB (45x), INT4
 * 1.1 MB (57x), INT2 1.0 MB (63x); no FLOPs. Table 4 (BERT-base, GLUE): BERT-base 423 MB,
 * 20.3 GFLOPs; rank 50: FP32 99 MB (4x) 3.8 GFLOPs (5x), INT8 24.3 MB (17x) 3.8 (5x), INT4
 * 12.1 MB (35x) 1.9 (11x); rank 30: FP32 39 MB (11x) 1.8 (11x), INT8 9.5 MB (45x) 1.8 (11x), INT4
 * 4.8 MB (88x) 0.9 (23x). The paper counts FLOPs of the encoders' matrix products only.
 *
 * @param source where the numbers come from
 * @param encoderOnlyFlops whether the paper's FLOPs cover the encoder blocks only
 * @param rows by key "dense" or a {@link Precision#key()}; missing keys were not reported
 * @param note caveat printed with the numbers (may be empty)
 */
public record PaperSizeReference(String source, boolean encoderOnlyFlops, Map<String, Entry> rows, String note) {
    /** One reported model: size in MB with its ratio, GFLOPs with its ratio (null when not reported). */
    public record Entry(double sizeMb, double sizeRatio, Double gflops, Double gflopsRatio) {
    }

    /** The paper's numbers for a preset (BERT: for this rank when it is 50 or 30), or null for other models. */
    public static PaperSizeReference forPreset(String preset, int rank) {
        Map<String, Entry> rows = new LinkedHashMap<>();
        if (preset.equals(SizePresets.ATIS)) {
            rows.put("dense", new Entry(63, 1, null, null));
            rows.put(Precision.FP32.key(), new Entry(3.3, 19, null, null));
            rows.put(Precision.INT8.key(), new Entry(1.4, 45, null, null));
            rows.put(Precision.INT4.key(), new Entry(1.1, 57, null, null));
            rows.put(Precision.INT2.key(), new Entry(1.0, 63, null, null));
            return new PaperSizeReference("paper Table 2 (ATIS)", false, rows, "the paper reports no FLOPs for ATIS");
        }
        if (preset.equals(SizePresets.BERT)) {
            rows.put("dense", new Entry(423, 1, 20.3, 1.0));
            String note = "the paper counts FLOPs of encoder matrix products only; no INT2 model";
            if (rank == 50) {
                rows.put(Precision.FP32.key(), new Entry(99, 4, 3.8, 5.0));
                rows.put(Precision.INT8.key(), new Entry(24.3, 17, 3.8, 5.0));
                rows.put(Precision.INT4.key(), new Entry(12.1, 35, 1.9, 11.0));
            } else if (rank == 30) {
                rows.put(Precision.FP32.key(), new Entry(39, 11, 1.8, 11.0));
                rows.put(Precision.INT8.key(), new Entry(9.5, 45, 1.8, 11.0));
                rows.put(Precision.INT4.key(), new Entry(4.8, 88, 0.9, 23.0));
            } else {
                note = "the paper reports ranks 50 and 30 only; " + note;
            }
            return new PaperSizeReference("paper Table 4 (BERT-base, rank " + rank + ")", true, rows, note);
        }
        return null;
    }
}
