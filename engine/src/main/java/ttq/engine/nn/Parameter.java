package ttq.engine.nn;

import ttq.engine.Tensor;

/** A trainable tensor with its dotted name inside a module tree (e.g. "encoder.0.attn.query.weight"). */
public record Parameter(String name, Tensor value) {
}
