package ttq.engine.io;

import ttq.engine.Tensor;
import ttq.engine.nn.Module;

/** A test-only module with a parameter, a buffer and a child, to exercise checkpoint naming. */
final class TinyModule extends Module {
    final Tensor weight;
    final Tensor scale;
    final Head head;

    /** A child module so that dotted names ("head.bias") are covered. */
    static final class Head extends Module {
        final Tensor bias;

        Head(long seed, int n) {
            bias = parameter("bias", Tensor.randn(seed, n));
        }
    }

    TinyModule(long seed, int rows, int cols) {
        weight = parameter("weight", Tensor.randn(seed, rows, cols));
        scale = buffer("scale", Tensor.rand(seed + 1, cols));
        head = module("head", new Head(seed + 2, rows));
    }
}
