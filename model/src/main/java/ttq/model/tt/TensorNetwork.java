package ttq.model.tt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small tensor network to contract: named tensors whose axes carry labels, a size per label,
 * and the labels of the result in order. A label shared by two tensors is summed when they meet
 * (a bond); a label also in the output or in a third tensor is kept (a batch label). Labels that
 * occur in one tensor only must be output labels.
 */
public final class TensorNetwork {
    private final List<String> names;
    private final List<String[]> labels;
    private final Map<String, Integer> sizes;
    private final String[] output;

    private TensorNetwork(List<String> names, List<String[]> labels, Map<String, Integer> sizes, String[] output) {
        this.names = List.copyOf(names);
        this.labels = List.copyOf(labels);
        this.sizes = Map.copyOf(sizes);
        this.output = output.clone();
        validate();
    }

    /** Starts a network. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a network tensor by tensor. */
    public static final class Builder {
        private final List<String> names = new ArrayList<>();
        private final List<String[]> labels = new ArrayList<>();
        private final Map<String, Integer> sizes = new LinkedHashMap<>();
        private String[] output = new String[0];

        /** Adds a tensor with one label per axis. */
        public Builder tensor(String name, String... axisLabels) {
            if (names.contains(name)) {
                throw new IllegalArgumentException("tensor network: name '" + name + "' used twice");
            }
            names.add(name);
            labels.add(axisLabels.clone());
            return this;
        }

        /** Sets the size of a label. */
        public Builder size(String label, int size) {
            if (size < 1) {
                throw new IllegalArgumentException("tensor network: label '" + label + "' has size " + size);
            }
            sizes.put(label, size);
            return this;
        }

        /** Sets the result's labels in order. */
        public Builder output(String... outputLabels) {
            this.output = outputLabels.clone();
            return this;
        }

        /** The network with the tensors added so far. */
        public TensorNetwork build() {
            return new TensorNetwork(names, labels, sizes, output);
        }
    }

    private void validate() {
        if (names.size() < 1 || names.size() > 20) {
            throw new IllegalArgumentException("tensor network: needs 1 to 20 tensors, got " + names.size());
        }
        Map<String, Integer> count = new LinkedHashMap<>();
        for (int t = 0; t < names.size(); t++) {
            String[] ls = labels.get(t);
            for (int i = 0; i < ls.length; i++) {
                for (int j = i + 1; j < ls.length; j++) {
                    if (ls[i].equals(ls[j])) {
                        throw new IllegalArgumentException("tensor network: tensor " + names.get(t) + " repeats label " + ls[i]);
                    }
                }
                if (!sizes.containsKey(ls[i])) {
                    throw new IllegalArgumentException("tensor network: label '" + ls[i] + "' has no size");
                }
                count.merge(ls[i], 1, Integer::sum);
            }
        }
        for (int i = 0; i < output.length; i++) {
            for (int j = i + 1; j < output.length; j++) {
                if (output[i].equals(output[j])) {
                    throw new IllegalArgumentException("tensor network: output label '" + output[i] + "' given twice");
                }
            }
        }
        for (String o : output) {
            if (!count.containsKey(o)) {
                throw new IllegalArgumentException("tensor network: output label '" + o + "' is on no tensor");
            }
        }
        List<String> out = Arrays.asList(output);
        count.forEach((label, c) -> {
            if (c == 1 && !out.contains(label)) {
                throw new IllegalArgumentException("tensor network: label '" + label + "' is on one tensor only and not in the output");
            }
        });
    }

    /** Number of tensors. */
    public int tensorCount() {
        return names.size();
    }

    /** Name of tensor number tensor. */
    public String name(int tensor) {
        return names.get(tensor);
    }

    /** Index of a tensor by name, or -1. */
    public int indexOf(String name) {
        return names.indexOf(name);
    }

    /** Index labels of tensor number tensor, in axis order. */
    public String[] labels(int tensor) {
        return labels.get(tensor).clone();
    }

    /** Extent of the index with this label. */
    public int size(String label) {
        return sizes.get(label);
    }

    /** Labels of the result, in axis order. */
    public String[] output() {
        return output.clone();
    }

    /** The shape tensor t must have. */
    public int[] shape(int tensor) {
        String[] ls = labels.get(tensor);
        int[] s = new int[ls.length];
        for (int i = 0; i < ls.length; i++) {
            s[i] = sizes.get(ls[i]);
        }
        return s;
    }

    /** Product of the sizes of labels (as a double: FLOP counts overflow longs for big networks). */
    double volume(Iterable<String> ls) {
        double v = 1;
        for (String l : ls) {
            v *= sizes.get(l);
        }
        return v;
    }

    /** Number of tensors (by subset bit mask) that carry each label, plus one when it is an output label. */
    Map<String, Integer> labelUses() {
        Map<String, Integer> uses = new LinkedHashMap<>();
        for (String[] ls : labels) {
            for (String l : ls) {
                uses.merge(l, 1, Integer::sum);
            }
        }
        for (String o : output) {
            uses.merge(o, 1, Integer::sum);
        }
        return uses;
    }
}
