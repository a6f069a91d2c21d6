package ttq.tools;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** The configurations no other beats on both size (smaller) and accuracy (higher). */
final class ParetoFront {
    private ParetoFront() {
    }

    /** Non-dominated items, by increasing size; ties in both keep every tied item. */
    static <T> List<T> of(List<T> items, ToDoubleFunction<T> size, ToDoubleFunction<T> score) {
        List<T> front = new ArrayList<>();
        for (T a : items) {
            boolean dominated = false;
            for (T b : items) {
                if (b != a && size.applyAsDouble(b) <= size.applyAsDouble(a) && score.applyAsDouble(b) >= score.applyAsDouble(a)
                        && (size.applyAsDouble(b) < size.applyAsDouble(a) || score.applyAsDouble(b) > score.applyAsDouble(a))) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated && !Double.isNaN(score.applyAsDouble(a))) {
                front.add(a);
            }
        }
        front.sort(Comparator.comparingDouble(size));
        return front;
    }
}
