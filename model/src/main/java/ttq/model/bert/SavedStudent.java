package ttq.model.bert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ttq.engine.Tensor;
import ttq.engine.io.SafeTensorFile;
import ttq.engine.io.SafeTensors;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.Layer;
import ttq.model.data.DataFormatException;
import ttq.model.train.TrainingCheckpoint;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;

/**
 * A distilled TT student on disk (the {@code student.safetensors} of {@code ttq distill}): its
 * weights plus what rebuilds it: the teacher's classifier description ({@link SavedClassifier.Info})
 * and the student's precision. The TT bond ranks are read from the cores' shapes in the file (TT-SVD
 * initialisation truncates ranks a mode size caps).
 */
public final class SavedStudent {
    /** The {@code format} metadata value of a student file. */
    public static final String FORMAT = "ttq-student-classifier";

    private SavedStudent() {
    }

    /** Metadata that lets {@link #load} rebuild a TT student of {@code spec} distilled from a teacher described by {@code teacher}. */
    public static Map<String, String> metadata(SavedClassifier.Info teacher, BertStudent.Spec spec, String run) {
        Map<String, String> m = new LinkedHashMap<>(SavedClassifier.metadata(teacher));
        m.put("format", FORMAT);
        m.put("student_kind", spec.kind().name().toLowerCase(java.util.Locale.ROOT));
        m.put("student_bits", Integer.toString(spec.bits()));
        m.put("run", run);
        return m;
    }

    /** Whether a file's metadata marks it as a student. */
    public static boolean isStudent(Map<String, String> metadata) {
        return FORMAT.equals(metadata.get("format"));
    }

    /** Rebuilds and loads a TT student written with {@link #metadata}, in evaluation mode. */
    public static SavedClassifier.Loaded load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DataFormatException(file + ": file not found");
        }
        SafeTensorFile st = SafeTensors.read(file);
        Map<String, String> meta = st.metadata();
        if (!isStudent(meta)) {
            throw new DataFormatException(file + ": not a distilled student (ttq distill's student.safetensors, written by ttq 0.1 from "
                    + "2026-12-06 on)");
        }
        SavedClassifier.Info info = SavedClassifier.info(meta, file);
        int bits;
        try {
            bits = Integer.parseInt(meta.get("student_bits"));
        } catch (RuntimeException e) {
            throw new DataFormatException(file + ": broken student metadata (" + e.getMessage() + ")");
        }
        if (!"tt".equals(meta.get("student_kind"))) {
            throw new DataFormatException(file + ": a " + meta.get("student_kind") + " student; only TT students are rebuilt from a file");
        }
        BertConfig c = info.config();
        TtmEmbedding words = TtmEmbedding.fromCores(c.vocab(), cores(st, "model.encoder.words"));
        if (bits < 32) {
            words.quantizeWeights(new LearnedScaleQuantizer(bits));
        }
        Layer[][] blocks = new Layer[c.layers()][];
        for (int i = 0; i < blocks.length; i++) {
            String p = "model.encoder.layer" + i + ".";
            blocks[i] = new Layer[] {tt(st, p + "query", bits), tt(st, p + "key", bits), tt(st, p + "value", bits),
                    tt(st, p + "attentionOut", bits), tt(st, p + "up", bits), tt(st, p + "down", bits)};
        }
        BertEncoder encoder = new BertEncoder(c, words, (i, dropout) -> new BertLayer(c, blocks[i][0], blocks[i][1], blocks[i][2], blocks[i][3],
                blocks[i][4], blocks[i][5], dropout), 0);
        SequenceClassifier model = new SequenceClassifier(encoder, info.pooling(), info.classes(), 0);
        TrainingCheckpoint.load(file, model, null);
        model.eval();
        return new SavedClassifier.Loaded(model, info, meta);
    }

    /** Zero cores with the shapes of {@code prefix.core0, core1, ...} in the file. */
    private static List<Tensor> cores(SafeTensorFile st, String prefix) throws DataFormatException {
        List<Tensor> out = new ArrayList<>();
        for (int k = 0; st.contains(prefix + ".core" + k); k++) {
            out.add(Tensor.zeros(st.get(prefix + ".core" + k).intShape()));
        }
        if (out.isEmpty()) {
            throw new DataFormatException(st.path() + ": no cores " + prefix + ".core0.. (not a TT student)");
        }
        return out;
    }

    private static Layer tt(SafeTensorFile st, String prefix, int bits) throws DataFormatException {
        List<Tensor> cores = cores(st, prefix);
        if (cores.size() % 2 != 0) {
            throw new DataFormatException(st.path() + ": " + prefix + " has " + cores.size() + " cores (a TT linear has an even number)");
        }
        int d = cores.size() / 2;
        int[] out = new int[d], in = new int[d];
        for (int k = 0; k < d; k++) {
            out[k] = cores.get(k).dim(1);
            in[k] = cores.get(d + k).dim(1);
        }
        TtLinear layer = TtLinear.fromCores(cores, out, in, true);
        if (bits < 32) {
            layer.quantizeWeights(new LearnedScaleQuantizer(bits));
            layer.quantizeInput(new LearnedScaleQuantizer(8));
        }
        return layer;
    }
}
