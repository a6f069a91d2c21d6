package ttq.engine.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ttq.engine.Tensor;

/**
 * The full contents of a safetensors file as read by {@link SafeTensors#read}: its free-form
 * string metadata and its entries, in data-offset (file) order, each with its stored dtype.
 */
public final class SafeTensorFile {
    private final Path path;
    private final Map<String, String> metadata;
    private final Map<String, SafeTensorEntry> entries;

    SafeTensorFile(Path path, Map<String, String> metadata, List<SafeTensorEntry> entries) {
        this.path = path;
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        Map<String, SafeTensorEntry> byName = new LinkedHashMap<>();
        for (SafeTensorEntry e : entries) {
            byName.put(e.name(), e);
        }
        this.entries = Collections.unmodifiableMap(byName);
    }

    /** The file this was read from. */
    public Path path() {
        return path;
    }

    /** The {@code __metadata__} strings (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All entries in file order. */
    public List<SafeTensorEntry> entries() {
        return Collections.unmodifiableList(new ArrayList<>(entries.values()));
    }

    /** Bytes of tensor data (the file less its length prefix and header). */
    public long dataBytes() {
        long n = 0;
        for (SafeTensorEntry e : entries.values()) {
            n += (long) e.numel() * e.dtype().byteSize();
        }
        return n;
    }

    /** Tensor names in file order. */
    public Set<String> names() {
        return entries.keySet();
    }

    /** Whether a tensor of this name is stored. */
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The entry of this name; throws IllegalArgumentException naming the file when absent. */
    public SafeTensorEntry get(String name) {
        SafeTensorEntry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(path + ": no tensor '" + name + "' (has " + entries.size() + " tensors)");
        }
        return e;
    }

    /** Every entry converted to a float32 tensor, in file order. */
    public Map<String, Tensor> toFloatTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (SafeTensorEntry e : entries.values()) {
            out.put(e.name(), e.toFloatTensor());
        }
        return out;
    }
}
