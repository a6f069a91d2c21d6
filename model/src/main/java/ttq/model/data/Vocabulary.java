package ttq.model.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A string-to-id map built from training data; optional reserved entries (e.g. {@code <pad>}, {@code <unk>}) come first. */
public final class Vocabulary {
    private final Map<String, Integer> ids = new LinkedHashMap<>();
    private final List<String> names = new ArrayList<>();
    private final int unknownId;

    /** Builds from items in first-seen order after the reserved ones; unknown maps to {@code unknown} (or -1 when null). */
    public Vocabulary(List<String> reserved, Iterable<String> items, String unknown) {
        for (String r : reserved) {
            add(r);
        }
        for (String s : items) {
            add(s);
        }
        this.unknownId = unknown == null ? -1 : ids.get(unknown);
    }

    private void add(String s) {
        if (!ids.containsKey(s)) {
            ids.put(s, names.size());
            names.add(s);
        }
    }

    /** The id, or the unknown id (-1 when the vocabulary has none) for unseen items. */
    public int id(String s) {
        Integer i = ids.get(s);
        return i == null ? unknownId : i;
    }

    /** The entry with this id. */
    public String name(int id) {
        return names.get(id);
    }

    /** Number of entries. */
    public int size() {
        return names.size();
    }

    /** Every entry in id order. */
    public List<String> names() {
        return Collections.unmodifiableList(names);
    }
}
