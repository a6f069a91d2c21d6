package ttq.model;

import ttq.engine.Tensor;

/** A module mapping [..., in] to [..., out]: a dense or a tensor-train linear layer. */
public interface Layer {
    /** Applies the layer to the last axis of x. */
    Tensor forward(Tensor x);
}
