package ttq.model.tt;

/**
 * Tensor-train modes for a given size: how a layer width or a vocabulary is split into the modes of
 * TT and TTM cores when the caller does not choose them (BERT students, configurations built with
 * {@code TransformerConfig.builder()}). Balanced splits keep the cores small.
 */
public final class ModeFactoring {
    private ModeFactoring() {
    }

    /** n = a * b with a the largest divisor up to sqrt(n) (768 -> 24 x 32; a prime p -> 1 x p). */
    public static int[] two(int n) {
        for (int a = (int) Math.sqrt(n); a >= 1; a--) {
            if (n % a == 0) {
                return new int[] {a, n / a};
            }
        }
        return new int[] {1, n};
    }

    /** n = a * b * c, balanced (384 -> 8 x 6 x 8). */
    public static int[] three(int n) {
        int[] best = {1, 1, n};
        for (int a = 1; (long) a * a * a <= n * 8L; a++) {
            if (n % a != 0) {
                continue;
            }
            int[] bc = two(n / a);
            int max = Math.max(a, Math.max(bc[0], bc[1]));
            if (max < Math.max(best[0], Math.max(best[1], best[2]))) {
                best = new int[] {bc[0], a, bc[1]};
            }
        }
        return best;
    }

    /** Three row modes whose product covers a vocabulary (30522 -> 32 x 32 x 30 = 30720). */
    public static int[] rowsCovering(int vocab) {
        int f = (int) Math.ceil(Math.cbrt(vocab));
        return new int[] {f, f, (vocab + f * f - 1) / (f * f)};
    }
}
