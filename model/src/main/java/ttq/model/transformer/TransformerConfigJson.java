package ttq.model.transformer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import ttq.model.data.DataFormatException;

/**
 * {@link TransformerConfig} as one JSON object (the record's component names as keys), stored in
 * training checkpoints and compact model files so a model can be rebuilt from the file alone.
 */
public final class TransformerConfigJson {
    private static final JsonMapper JSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES).enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .build();

    private TransformerConfigJson() {
    }

    /** The configuration as JSON (saved in checkpoints so a model can be rebuilt). */
    public static String write(TransformerConfig config) {
        try {
            return JSON.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + config, e);
        }
    }

    /** Parses a configuration; {@code source} (a file name) is named in the error when the text is missing or invalid. */
    public static TransformerConfig read(String json, String source) throws DataFormatException {
        if (json == null) {
            throw new DataFormatException(source + ": no model configuration (metadata 'config'); it was written by an older ttq "
                    + "or is not a ttq model file");
        }
        try {
            com.fasterxml.jackson.databind.JsonNode tree = JSON.readTree(json);
            if (tree instanceof com.fasterxml.jackson.databind.node.ObjectNode o && !o.has("embedding")) {
                // files written before the embedding kind existed: null picks the format's default (TransformerConfig)
                o.putNull("embedding");
            }
            return JSON.treeToValue(tree, TransformerConfig.class);
        } catch (JsonProcessingException e) {
            throw new DataFormatException(source + ": bad model configuration: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(source + ": bad model configuration: " + e.getMessage());
        }
    }
}
