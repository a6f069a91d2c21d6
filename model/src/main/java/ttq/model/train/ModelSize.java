package ttq.model.train;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.model.quant.QuantizedCores;

/**
 * Bytes a model needs when deployed: cores of weight-quantized TT/TTM layers packed at their bit
 * width (as {@link ttq.model.quant.CompactExport} writes them), every other value as FP32.
 */
public final class ModelSize {
    private ModelSize() {
    }

    /** Bytes of the model as stored: quantized weights at their bit width (packed), everything else FP32. */
    public static long bytes(Module model) {
        Set<Tensor> counted = new HashSet<>();
        long bytes = 0;
        for (Module m : model.namedModules().values()) {
            QuantizedCores q = QuantizedCores.of(m);
            if (m instanceof ttq.model.quant.TernaryLinear t) {
                // 2 bits per ternary value (1 for binary) plus the FP32 scale
                bytes += ((long) t.weight().numel() * (t.binary() ? 1 : 2) + 7) / 8 + 4;
                counted.add(t.weight());
            }
            if (q != null) {
                for (Tensor c : q.cores()) {
                    bytes += ((long) c.numel() * q.quantizer().bits() + 7) / 8;
                    counted.add(c);
                }
            }
        }
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            if (!counted.contains(e.getValue())) {
                bytes += 4L * e.getValue().numel();
            }
        }
        return bytes;
    }
}
