package ttq.model.tt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ttq.engine.Ops;
import ttq.engine.Shape;
import ttq.engine.Tensor;

/**
 * An order in which to contract a {@link TensorNetwork}: a binary tree whose leaves are the
 * network's tensors and whose inner nodes are pairwise contractions. Each is costed by FLOPs
 * (2 x the product of all label sizes the two operands carry) and by peak intermediate memory.
 * {@link #optimal} finds the cheapest tree by dynamic programming over connected subsets (like
 * opt_einsum's "optimal"); {@link #enumerate} lists every tree; {@link #parse} pins one from a
 * spec such as {@code ((x,G4),G3),(G1,G2)}. Execution composes engine ops (permute, reshape,
 * matmul with transpose flags), so any order is differentiable.
 */
public final class ContractionPlan {
    /** A contraction tree: a leaf tensor, or the contraction of two subtrees. */
    private record Tree(int leaf, Tree left, Tree right, long mask) {
        static Tree leaf(int t) {
            return new Tree(t, null, null, 1L << t);
        }

        static Tree of(Tree l, Tree r) {
            return new Tree(-1, l, r, l.mask | r.mask);
        }

        boolean isLeaf() {
            return left == null;
        }
    }

    private final TensorNetwork net;
    private final Tree root;
    private final double flops;
    private final double peakElements;
    private final double largestIntermediate;

    private ContractionPlan(TensorNetwork net, Tree root) {
        this.net = net;
        this.root = root;
        Costing c = new Costing(net);
        this.flops = c.flops(root);
        double[] peak = c.peak(root);
        this.peakElements = peak[0];
        this.largestIntermediate = c.largest(root);
    }

    /** The tensor network this plan contracts. */
    public TensorNetwork network() {
        return net;
    }

    /** Floating-point operations of the forward contraction (a multiply-add counts 2). */
    public double flops() {
        return flops;
    }

    /** Most elements held in intermediates at once (inputs excluded), evaluating the larger subtree first. */
    public double peakElements() {
        return peakElements;
    }

    /** Elements of the largest single intermediate. */
    public double largestIntermediate() {
        return largestIntermediate;
    }

    /** The readable spec of this order, accepted by {@link #parse}. */
    public String spec() {
        Tree t = root;
        if (t.isLeaf()) {
            return net.name(t.leaf);
        }
        return specOf(t.left) + "," + specOf(t.right);
    }

    private String specOf(Tree t) {
        return t.isLeaf() ? net.name(t.leaf) : "(" + specOf(t.left) + "," + specOf(t.right) + ")";
    }

    @Override
    public String toString() {
        return spec() + String.format(java.util.Locale.ROOT, " [%.4g FLOPs, peak %.4g elements]", flops, peakElements);
    }

    /**
     * One pairwise contraction of the order: operands are numbered 0..n-1 for the network's tensors
     * and n + k for the result of step k; {@code labels} are the result's axes (left's kept labels,
     * then right's). Exporters (ONNX) replay the order from these steps.
     */
    public record Step(int left, int right, String[] labels) {
    }

    /** The pairwise contractions in an order that evaluates every operand before its use; the last step is the result. */
    public List<Step> steps() {
        List<Step> out = new ArrayList<>();
        List<String[]> labels = new ArrayList<>(); // of every operand: the network's tensors, then the steps' results
        for (int t = 0; t < net.tensorCount(); t++) {
            labels.add(net.labels(t));
        }
        if (!root.isLeaf()) {
            collect(root, out, labels, new Costing(net));
        }
        return out;
    }

    /** Appends the steps of subtree t (post-order) and returns the operand number of its result. */
    private int collect(Tree t, List<Step> out, List<String[]> labels, Costing c) {
        if (t.isLeaf()) {
            return t.leaf;
        }
        int l = collect(t.left, out, labels, c), r = collect(t.right, out, labels, c);
        Set<String> keep = c.result(t.mask);
        LinkedHashSet<String> result = new LinkedHashSet<>();
        for (String[] side : List.of(labels.get(l), labels.get(r))) {
            for (String s : side) {
                if (keep.contains(s)) {
                    result.add(s);
                }
            }
        }
        String[] resultLabels = result.toArray(new String[0]);
        out.add(new Step(l, r, resultLabels));
        labels.add(resultLabels);
        return labels.size() - 1;
    }

    // ------------------------------------------------------------------ construction

    /** Parses a spec: nested pairs of tensor names, e.g. {@code ((x,G4),G3),(G1,G2)}; every tensor exactly once. */
    public static ContractionPlan parse(TensorNetwork net, String spec) {
        String s = spec.replaceAll("\\s+", "");
        int[] pos = {0};
        Tree t = parseTree(net, s, pos, spec);
        if (pos[0] < s.length() && s.charAt(pos[0]) == ',') {
            pos[0]++;
            Tree r = parseTree(net, s, pos, spec);
            if ((t.mask & r.mask) != 0) {
                throw new IllegalArgumentException("contraction spec '" + spec + "': a tensor appears twice");
            }
            t = Tree.of(t, r);
        }
        if (pos[0] != s.length()) {
            throw new IllegalArgumentException("contraction spec '" + spec + "': unexpected text at position " + pos[0]);
        }
        long all = (1L << net.tensorCount()) - 1;
        if (t.mask != all) {
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < net.tensorCount(); i++) {
                if ((t.mask & (1L << i)) == 0) {
                    missing.add(net.name(i));
                }
            }
            throw new IllegalArgumentException("contraction spec '" + spec + "' leaves out " + missing);
        }
        return new ContractionPlan(net, t);
    }

    private static Tree parseTree(TensorNetwork net, String s, int[] pos, String spec) {
        if (pos[0] >= s.length()) {
            throw new IllegalArgumentException("contraction spec '" + spec + "': ends early");
        }
        if (s.charAt(pos[0]) == '(') {
            pos[0]++;
            Tree l = parseTree(net, s, pos, spec);
            expect(s, pos, ',', spec);
            Tree r = parseTree(net, s, pos, spec);
            expect(s, pos, ')', spec);
            if ((l.mask & r.mask) != 0) {
                throw new IllegalArgumentException("contraction spec '" + spec + "': a tensor appears twice");
            }
            return Tree.of(l, r);
        }
        int start = pos[0];
        while (pos[0] < s.length() && Character.isLetterOrDigit(s.charAt(pos[0])) || pos[0] < s.length() && s.charAt(pos[0]) == '_') {
            pos[0]++;
        }
        String name = s.substring(start, pos[0]);
        int idx = net.indexOf(name);
        if (idx < 0) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < net.tensorCount(); i++) {
                names.add(net.name(i));
            }
            throw new IllegalArgumentException("contraction spec '" + spec + "': unknown tensor '" + name + "' (tensors: " + names + ")");
        }
        return Tree.leaf(idx);
    }

    private static void expect(String s, int[] pos, char c, String spec) {
        if (pos[0] >= s.length() || s.charAt(pos[0]) != c) {
            throw new IllegalArgumentException("contraction spec '" + spec + "': expected '" + c + "' at position " + pos[0]);
        }
        pos[0]++;
    }

    /** Largest network {@link #optimal} solves exactly (3^n subset pairs); larger ones are planned greedily. */
    public static final int MAX_EXACT_TENSORS = 14;

    /**
     * The cheapest order by FLOPs (ties broken by peak memory), by dynamic programming over
     * connected subsets; only contractions of operands that share a label are considered.
     */
    public static ContractionPlan optimal(TensorNetwork net) {
        int n = net.tensorCount();
        if (n > MAX_EXACT_TENSORS) {
            return greedy(net);
        }
        Costing c = new Costing(net);
        int full = (1 << n) - 1;
        Tree[] best = new Tree[full + 1];
        double[] cost = new double[full + 1];
        double[] peak = new double[full + 1];
        Arrays.fill(cost, Double.POSITIVE_INFINITY);
        for (int i = 0; i < n; i++) {
            best[1 << i] = Tree.leaf(i);
            cost[1 << i] = 0;
        }
        Integer[] order = new Integer[full];
        for (int s = 1; s <= full; s++) {
            order[s - 1] = s;
        }
        Arrays.sort(order, Comparator.comparingInt(Integer::bitCount));
        for (int s : order) {
            if (Integer.bitCount(s) < 2 || !c.connected(s)) {
                continue;
            }
            int low = s & -s;
            for (int a = (s - 1) & s; a > 0; a = (a - 1) & s) {
                if ((a & low) == 0) {
                    continue; // each split once: the left part holds the lowest tensor
                }
                int b = s & ~a;
                if (best[a] == null || best[b] == null || !c.share(a, b)) {
                    continue;
                }
                double f = cost[a] + cost[b] + c.pairFlops(a, b);
                if (f < cost[s] * (1 - 1e-12)) {
                    Tree t = Tree.of(best[a], best[b]);
                    cost[s] = f;
                    best[s] = t;
                    peak[s] = c.peak(t)[0];
                } else if (f <= cost[s] * (1 + 1e-12)) {
                    Tree t = Tree.of(best[a], best[b]);
                    double p = c.peak(t)[0];
                    if (p < peak[s]) {
                        best[s] = t;
                        peak[s] = p;
                    }
                }
            }
        }
        if (best[full] == null) {
            throw new IllegalArgumentException("tensor network is not connected: no contraction order without outer products");
        }
        return new ContractionPlan(net, best[full]);
    }

    /** Greedy planning for big networks: repeatedly contracts the connected pair with the cheapest step. */
    static ContractionPlan greedy(TensorNetwork net) {
        Costing c = new Costing(net);
        List<Tree> live = new ArrayList<>();
        for (int i = 0; i < net.tensorCount(); i++) {
            live.add(Tree.leaf(i));
        }
        while (live.size() > 1) {
            int bi = -1, bj = -1;
            double bf = Double.POSITIVE_INFINITY;
            for (int i = 0; i < live.size(); i++) {
                for (int j = i + 1; j < live.size(); j++) {
                    long a = live.get(i).mask, b = live.get(j).mask;
                    if (c.share(a, b) && c.pairFlops(a, b) < bf) {
                        bf = c.pairFlops(a, b);
                        bi = i;
                        bj = j;
                    }
                }
            }
            if (bi < 0) {
                throw new IllegalArgumentException("tensor network is not connected");
            }
            Tree t = Tree.of(live.get(bi), live.get(bj));
            live.remove(bj);
            live.set(bi, t);
        }
        return new ContractionPlan(net, live.get(0));
    }

    /**
     * Contraction trees (operands always share a label), sorted cheapest first. When there are more
     * than {@code limit}, the first {@code limit} found are returned and {@code truncated} is set:
     * the cheapest may then be missing (use {@link #optimal} for it).
     */
    public static Enumeration enumerate(TensorNetwork net, int limit) {
        Costing c = new Costing(net);
        Map<Long, List<Tree>> memo = new HashMap<>();
        boolean[] truncated = {false};
        List<Tree> all = trees(c, (1L << net.tensorCount()) - 1, memo, limit, truncated);
        List<ContractionPlan> plans = new ArrayList<>();
        for (Tree t : all) {
            plans.add(new ContractionPlan(net, t));
        }
        plans.sort(Comparator.comparingDouble(ContractionPlan::flops).thenComparingDouble(ContractionPlan::peakElements));
        return new Enumeration(plans, truncated[0]);
    }

    /** The result of {@link #enumerate}: the plans and whether the limit cut the list. */
    public record Enumeration(List<ContractionPlan> plans, boolean truncated) {
    }

    private static List<Tree> trees(Costing c, long s, Map<Long, List<Tree>> memo, int limit, boolean[] truncated) {
        List<Tree> cached = memo.get(s);
        if (cached != null) {
            return cached;
        }
        List<Tree> out = new ArrayList<>();
        if (Long.bitCount(s) == 1) {
            out.add(Tree.leaf(Long.numberOfTrailingZeros(s)));
        } else {
            long low = s & -s;
            outer:
            for (long a = (s - 1) & s; a > 0; a = (a - 1) & s) {
                long b = s & ~a;
                if ((a & low) == 0 || !c.connected(a) || !c.connected(b) || !c.share(a, b)) {
                    continue;
                }
                for (Tree l : trees(c, a, memo, limit, truncated)) {
                    for (Tree r : trees(c, b, memo, limit, truncated)) {
                        if (out.size() >= limit) {
                            truncated[0] = true;
                            break outer;
                        }
                        out.add(Tree.of(l, r));
                    }
                }
            }
        }
        memo.put(s, out);
        return out;
    }

    // ------------------------------------------------------------------ costs

    /** Label bookkeeping for subsets of the network's tensors. */
    private static final class Costing {
        final TensorNetwork net;
        final int n;
        final List<String> labelList = new ArrayList<>();
        final long[] labelMask; // which tensors carry each label
        final boolean[] isOutput;
        final Map<Long, Set<String>> resultCache = new HashMap<>();

        Costing(TensorNetwork net) {
            this.net = net;
            this.n = net.tensorCount();
            Set<String> out = new LinkedHashSet<>(Arrays.asList(net.output()));
            Map<String, Long> masks = new HashMap<>();
            for (int t = 0; t < n; t++) {
                for (String l : net.labels(t)) {
                    if (!masks.containsKey(l)) {
                        labelList.add(l);
                    }
                    masks.merge(l, 1L << t, (x, y) -> x | y);
                }
            }
            labelMask = new long[labelList.size()];
            isOutput = new boolean[labelList.size()];
            for (int i = 0; i < labelList.size(); i++) {
                labelMask[i] = masks.get(labelList.get(i));
                isOutput[i] = out.contains(labelList.get(i));
            }
        }

        /** Labels of the tensor that contracting subset s produces: carried by s and needed outside it. */
        Set<String> result(long s) {
            return resultCache.computeIfAbsent(s, key -> {
                Set<String> r = new LinkedHashSet<>();
                for (int i = 0; i < labelMask.length; i++) {
                    if ((labelMask[i] & key) != 0 && ((labelMask[i] & ~key) != 0 || isOutput[i])) {
                        r.add(labelList.get(i));
                    }
                }
                return r;
            });
        }

        boolean share(long a, long b) {
            for (long m : labelMask) {
                if ((m & a) != 0 && (m & b) != 0) {
                    return true;
                }
            }
            return false;
        }

        boolean connected(long s) {
            long seen = s & -s, frontier = seen;
            while (frontier != 0) {
                long next = 0;
                for (long m : labelMask) {
                    if ((m & frontier) != 0) {
                        next |= m & s;
                    }
                }
                frontier = next & ~seen;
                seen |= next;
            }
            return seen == s;
        }

        double size(long s) {
            return net.volume(result(s));
        }

        double pairFlops(long a, long b) {
            Set<String> u = new LinkedHashSet<>(result(a));
            u.addAll(result(b));
            return 2 * net.volume(u);
        }

        double flops(Tree t) {
            return t.isLeaf() ? 0 : flops(t.left) + flops(t.right) + pairFlops(t.left.mask, t.right.mask);
        }

        double largest(Tree t) {
            return t.isLeaf() ? 0 : Math.max(size(t.mask), Math.max(largest(t.left), largest(t.right)));
        }

        /** {peak elements while evaluating t, elements held by its result}; inputs are not counted. */
        double[] peak(Tree t) {
            if (t.isLeaf()) {
                return new double[] {0, 0};
            }
            double[] l = peak(t.left), r = peak(t.right);
            double res = size(t.mask);
            double lFirst = Math.max(l[0], Math.max(l[1] + r[0], l[1] + r[1] + res));
            double rFirst = Math.max(r[0], Math.max(r[1] + l[0], l[1] + r[1] + res));
            return new double[] {Math.min(lFirst, rFirst), res};
        }
    }

    // ------------------------------------------------------------------ execution

    /**
     * Contracts the network: inputs in the network's tensor order with the shapes it declares.
     * Returns the result with the output labels as axes, in order.
     */
    public Tensor execute(Tensor... inputs) {
        if (inputs.length != net.tensorCount()) {
            throw new IllegalArgumentException("contraction: " + inputs.length + " inputs for " + net.tensorCount() + " tensors");
        }
        for (int i = 0; i < inputs.length; i++) {
            if (!Arrays.equals(inputs[i].shape(), net.shape(i))) {
                throw new IllegalArgumentException("contraction: tensor " + net.name(i) + " has shape "
                        + Shape.str(inputs[i].shape()) + ", the network declares " + Shape.str(net.shape(i)));
            }
        }
        Labeled r = run(root, inputs, new Costing(net));
        String[] out = net.output();
        int[] perm = new int[out.length];
        for (int i = 0; i < out.length; i++) {
            perm[i] = Arrays.asList(r.labels).indexOf(out[i]);
        }
        return isIdentity(perm) ? r.value : r.value.permute(perm);
    }

    private record Labeled(Tensor value, String[] labels) {
    }

    private Labeled run(Tree t, Tensor[] inputs, Costing c) {
        if (t.isLeaf()) {
            return new Labeled(inputs[t.leaf], net.labels(t.leaf));
        }
        Labeled a = run(t.left, inputs, c), b = run(t.right, inputs, c);
        return contractPair(a, b, c.result(t.mask));
    }

    /**
     * Contracts two labelled tensors: labels on both that are still needed become batch axes,
     * the other shared labels are summed; result axes are batch, a's free, b's free. Copies are
     * made only when no transpose flag can express the layout.
     */
    private Labeled contractPair(Labeled a, Labeled b, Set<String> keep) {
        List<String> la = Arrays.asList(a.labels), lb = Arrays.asList(b.labels);
        List<String> batch = new ArrayList<>(), sumA = new ArrayList<>(), freeA = new ArrayList<>(), freeB = new ArrayList<>();
        for (String l : la) {
            if (lb.contains(l)) {
                (keep.contains(l) ? batch : sumA).add(l);
            } else {
                freeA.add(l);
            }
        }
        for (String l : lb) {
            if (!la.contains(l)) {
                freeB.add(l);
            }
        }
        List<String> sumB = new ArrayList<>();
        for (String l : lb) {
            if (sumA.contains(l)) {
                sumB.add(l);
            }
        }
        // summed labels in a's order or in b's order, whichever lets more operands avoid a copy
        List<String> sum = copies(la, lb, batch, freeA, freeB, sumB) < copies(la, lb, batch, freeA, freeB, sumA) ? sumB : sumA;
        int nb = volume(batch), m = volume(freeA), k = volume(sum), n = volume(freeB);
        Tensor x, y;
        boolean tA = false, tB = false;
        if (la.equals(concat(batch, freeA, sum))) {
            x = a.value.reshape(nb, m, k);
        } else if (la.equals(concat(batch, sum, freeA))) {
            x = a.value.reshape(nb, k, m);
            tA = true;
        } else {
            x = a.value.permute(positions(la, concat(batch, freeA, sum))).reshape(nb, m, k);
        }
        if (lb.equals(concat(batch, sum, freeB))) {
            y = b.value.reshape(nb, k, n);
        } else if (lb.equals(concat(batch, freeB, sum))) {
            y = b.value.reshape(nb, n, k);
            tB = true;
        } else {
            y = b.value.permute(positions(lb, concat(batch, sum, freeB))).reshape(nb, k, n);
        }
        if (nb == 1) { // plain GEMM: drop the batch axis so a weight-like operand is not treated per item
            x = x.reshape(x.dim(1), x.dim(2));
            y = y.reshape(y.dim(1), y.dim(2));
        }
        Tensor z = Ops.matmul(x, tA, y, tB);
        List<String> labels = concat(batch, freeA, freeB);
        int[] shape = new int[labels.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = net.size(labels.get(i));
        }
        return new Labeled(z.reshape(shape), labels.toArray(new String[0]));
    }

    private static int copies(List<String> la, List<String> lb, List<String> batch, List<String> freeA, List<String> freeB, List<String> sum) {
        int c = 0;
        if (!la.equals(concat(batch, freeA, sum)) && !la.equals(concat(batch, sum, freeA))) {
            c++;
        }
        if (!lb.equals(concat(batch, sum, freeB)) && !lb.equals(concat(batch, freeB, sum))) {
            c++;
        }
        return c;
    }

    private int volume(List<String> labels) {
        int v = 1;
        for (String l : labels) {
            v *= net.size(l);
        }
        return v;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> out = new ArrayList<>();
        for (List<String> p : parts) {
            out.addAll(p);
        }
        return out;
    }

    private static int[] positions(List<String> from, List<String> to) {
        int[] perm = new int[to.size()];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = from.indexOf(to.get(i));
        }
        return perm;
    }

    private static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return true;
    }
}
