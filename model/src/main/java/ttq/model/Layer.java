package ttq.model;

import ttq.engine.Tensor;

/** A module mapping [..., in] to [..., out]: a dense or a tensor-train linear layer. */
public interface Layer {
    /** Applies the layer to the last axis of x. */
    Tensor forward(Tensor x);

    /** Applies the layer to GELU(x): a layer with a quantized input may fuse the two (TtLinear does). */
    default Tensor forwardGelu(Tensor x) {
        return forward(x.gelu());
    }
}
