package ttq.model.pretrained;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ttq.engine.Tensor;

/**
 * The weights of a BERT-architecture encoder exported to ONNX by Hugging Face's exporter (as in
 * the all-MiniLM-L6-v2 and bge-small-en-v1.5 files), under Hugging Face's bert-base-uncased names
 * ({@code encoder.layer.0.attention.self.query.weight}, ...), so one loader serves ONNX files and
 * safetensors checkpoints alike.
 *
 * <p>The exporter keeps biases and layer norms under their names but stores each linear weight as
 * an anonymous MatMul operand ({@code onnx::MatMul_1234}, [in, out]). Its name comes from the
 * graph: the MatMul's output feeds an Add whose other operand is the named bias, so
 * {@code ...query.bias} names {@code ...query.weight}, transposed here to [out, in].
 */
public final class BertOnnxWeights {
    private BertOnnxWeights() {
    }

    /** Every float weight of the encoder under its Hugging Face name ([out, in] for linear weights). */
    public static Map<String, Tensor> read(OnnxModelFile model) throws IOException {
        Map<String, OnnxModelFile.Initializer> inits = model.initializers();
        Map<String, OnnxModelFile.Node> addByInput = new HashMap<>();
        for (OnnxModelFile.Node n : model.nodes()) {
            if (n.opType().equals("Add")) {
                for (String in : n.inputs()) {
                    addByInput.putIfAbsent(in, n);
                }
            }
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (OnnxModelFile.Initializer t : inits.values()) {
            if (t.dataType() == OnnxModelFile.FLOAT && !t.name().startsWith("onnx::")) {
                out.put(t.name(), Tensor.wrap(t.floats(), toInts(t.dims())));
            }
        }
        for (OnnxModelFile.Node n : model.nodes()) {
            if (!n.opType().equals("MatMul") || n.inputs().size() != 2) {
                continue;
            }
            OnnxModelFile.Initializer w = inits.get(n.inputs().get(1));
            if (w == null || w.dataType() != OnnxModelFile.FLOAT || w.dims().length != 2) {
                continue; // activations times activations (attention scores)
            }
            OnnxModelFile.Node add = addByInput.get(n.outputs().get(0));
            String bias = add == null ? null : namedBias(add, n.outputs().get(0), inits);
            if (bias == null) {
                throw new IOException(model.source() + ": MatMul weight '" + w.name() + "' is not followed by a named bias Add;"
                        + " not a Hugging Face BERT export this loader knows");
            }
            String name = bias.substring(0, bias.length() - "bias".length()) + "weight";
            Tensor matmulWeight = Tensor.wrap(w.floats(), Math.toIntExact(w.dims()[0]), Math.toIntExact(w.dims()[1])); // [in, out]
            if (out.put(name, matmulWeight.transpose(0, 1)) != null) {
                throw new IOException(model.source() + ": two MatMul weights map to '" + name + "'");
            }
        }
        return out;
    }

    private static String namedBias(OnnxModelFile.Node add, String matmulOutput, Map<String, OnnxModelFile.Initializer> inits) {
        List<String> ins = add.inputs();
        for (String in : ins) {
            if (!in.equals(matmulOutput) && inits.containsKey(in) && in.endsWith(".bias")) {
                return in;
            }
        }
        return null;
    }

    private static int[] toInts(long[] dims) {
        int[] s = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            s[i] = Math.toIntExact(dims[i]);
        }
        return s;
    }
}
