package ttq.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import ttq.model.data.Utterance;
import ttq.model.metrics.ConllEval;
import ttq.model.train.JointEvaluator;

/** SPLIT_slots.txt (conlleval input: token gold predicted, blank line between utterances) and SPLIT_intents.txt (gold predicted). */
final class PredictionFiles {
    private PredictionFiles() {
    }

    static void write(Path dir, String splitName, List<Utterance> split, JointEvaluator.Result r) throws IOException {
        Files.createDirectories(dir);
        ConllEval.write(dir.resolve(splitName + "_slots.txt"), r.sentences());
        StringBuilder intentLines = new StringBuilder();
        for (int i = 0; i < split.size(); i++) {
            intentLines.append(split.get(i).intent()).append(' ').append(r.intents().get(i)).append('\n');
        }
        Files.writeString(dir.resolve(splitName + "_intents.txt"), intentLines, StandardCharsets.UTF_8);
    }
}
