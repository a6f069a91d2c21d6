package ttq.model.size;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A model for size accounting: a name, the default number of tokens its FLOPs are counted for,
 * and its layers (each with a count of identical copies; names unique).
 */
public record ModelSpec(String name, int tokens, List<LayerSpec> layers) {
    /** Checks the fields (IllegalArgumentException) and copies the list. */
    public ModelSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("model name must not be empty");
        }
        if (tokens < 1) {
            throw new IllegalArgumentException(name + ": tokens must be >= 1, got " + tokens);
        }
        if (layers == null || layers.isEmpty()) {
            throw new IllegalArgumentException(name + ": a model needs at least one layer");
        }
        layers = List.copyOf(layers);
        Set<String> names = new HashSet<>();
        for (LayerSpec l : layers) {
            if (!names.add(l.name())) {
                throw new IllegalArgumentException(name + ": layer name '" + l.name() + "' used twice");
            }
        }
    }
}
