package ttq.model.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import ttq.model.data.GlueTask;

class GlueBatchesTest {
    @Test
    void shuffledEpochsHaveBatchCountBatchesCoveringEveryExampleOnce() throws Exception {
        List<GlueTask.Example> dev = GlueTask.SST2.read(Path.of("..", "test-data", "glue"), "dev");
        try (InputStream json = GlueBatchesTest.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json");
             BertTokenizer tok = BertTokenizer.read(json, "tokenizer.json", 64)) {
            GlueBatches batches = new GlueBatches(tok, dev.subList(0, 333));
            for (int batch : new int[] {1, 5, 32, 400}) {
                List<GlueBatches.Batch> epoch = batches.shuffled(batch, 7);
                assertEquals(batches.batchCount(batch), epoch.size(), "batch " + batch);
                int[] seen = new int[333];
                for (GlueBatches.Batch b : epoch) {
                    assertTrue(b.size() <= batch);
                    for (int i : b.indices()) {
                        seen[i]++;
                    }
                }
                assertTrue(Arrays.stream(seen).allMatch(c -> c == 1), "every example once");
            }
        }
    }
}
