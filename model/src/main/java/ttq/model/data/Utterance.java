package ttq.model.data;

import java.util.List;

/** One utterance of an intent/slot corpus: tokens, one BIO slot tag per token, and the intent. */
public record Utterance(List<String> tokens, List<String> tags, String intent) {
}
