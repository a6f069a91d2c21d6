package ttq.model.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link JointBatcher}'s vocabularies as JSON ({@code {"words": [...], "intents": [...],
 * "slots": [...], "max_length": 64}}): what a trained model needs besides its weights to read text
 * and name its predictions (the role of a tokenizer file next to a model file).
 */
public final class VocabularyJson {
    private static final JsonMapper JSON = new JsonMapper();

    private VocabularyJson() {
    }

    /** The batcher's word, intent and slot vocabularies as JSON (saved beside a model). */
    public static String write(JointBatcher b) {
        ObjectNode root = JSON.createObjectNode();
        root.set("words", array(b.words().names()));
        root.set("intents", array(b.intents().names()));
        root.set("slots", array(b.slots().names()));
        root.put("max_length", b.maxLength());
        return root.toString();
    }

    /** Parses vocabularies; {@code source} is named in every error. */
    public static JointBatcher read(String json, String source) throws DataFormatException {
        if (json == null) {
            throw new DataFormatException(source + ": no vocabularies (metadata 'vocab'); it was written by an older ttq");
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new DataFormatException(source + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new DataFormatException(source + ": expected a JSON object with words, intents, slots, max_length");
        }
        try {
            return JointBatcher.of(strings(root, "words", source), strings(root, "intents", source), strings(root, "slots", source),
                    maxLength(root, source));
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(source + ": " + e.getMessage());
        }
    }

    private static ArrayNode array(List<String> items) {
        ArrayNode a = JSON.createArrayNode();
        items.forEach(a::add);
        return a;
    }

    private static List<String> strings(JsonNode root, String key, String source) throws DataFormatException {
        JsonNode a = root.get(key);
        if (a == null || !a.isArray()) {
            throw new DataFormatException(source + ": '" + key + "' must be an array of strings");
        }
        List<String> out = new ArrayList<>(a.size());
        for (JsonNode n : a) {
            if (!n.isTextual()) {
                throw new DataFormatException(source + ": '" + key + "' must be an array of strings, found " + n);
            }
            out.add(n.asText());
        }
        return out;
    }

    private static int maxLength(JsonNode root, String source) throws DataFormatException {
        JsonNode n = root.get("max_length");
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1) {
            throw new DataFormatException(source + ": 'max_length' must be a positive integer");
        }
        return n.asInt();
    }
}
