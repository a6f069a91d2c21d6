package ttq.tools;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ttq.engine.Tensor;
import ttq.engine.io.DType;
import ttq.engine.io.SafeTensorEntry;
import ttq.engine.io.SafeTensorFile;
import ttq.engine.io.SafeTensors;
import ttq.engine.io.SafeTensorsWriter;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.data.DataFormatException;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;
import ttq.model.tt.TtmLinear;

/**
 * {@code ttq tt-apply}: runs one TT layer or TTM embedding given as cores in a safetensors file,
 * forward and backward, and writes the output and gradients, so other frameworks can cross-check
 * ttq. CASE holds {@code core.0..core.{K-1}} (3-D [r, dim, r']: a TT layer, output-mode cores
 * first; 4-D [p, m, n, p']: a TTM embedding with {@code ids}, or a TTM linear with {@code x}),
 * the input ({@code x} [B, N] F32 or {@code ids} [B] I64) and the upstream gradient {@code gy}.
 * RESULT holds {@code y}, {@code grad.core.k} and {@code grad.x} (when x was given). No bias. A
 * quantized case adds {@code scale} [1] and header metadata {@code "bits": "2"|"4"|"8"}: every core
 * first goes through the learned-scale quantizer with that scale, and RESULT adds {@code grad.scale}.
 */
@Command(name = "tt-apply", mixinStandardHelpOptions = true,
        description = "Forward+backward of a TT layer / TTM embedding from a safetensors case (interop cross-check).")
public final class TtApplyCommand implements Callable<Integer> {
    @Option(names = "--in", required = true, description = "CASE.safetensors: core.k, x or ids, gy (and scale for quantized cases).")
    Path in;

    @Option(names = "--out", required = true, description = "RESULT.safetensors: y, grad.core.k, grad.x.")
    Path out;

    @Override
    public Integer call() throws Exception {
        try {
            return apply();
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            // a layer or op refusing the case's shapes: name the case file, which is what the user can fix
            String m = String.valueOf(e.getMessage());
            throw new DataFormatException(m.startsWith(in.toString()) ? m : in + ": " + m);
        }
    }

    private Integer apply() throws Exception {
        SafeTensorFile file = SafeTensors.read(in);
        LearnedScaleQuantizer quantizer = quantizer(file);
        List<Tensor> cores = new ArrayList<>();
        for (int k = 0; file.contains("core." + k); k++) {
            cores.add(floats(file, "core." + k));
        }
        if (cores.isEmpty()) {
            throw new DataFormatException(in + ": no tensor 'core.0' (expected core.0 .. core.{K-1})");
        }
        for (String name : file.names()) {
            if (!name.matches("core\\.\\d+|x|ids|gy|scale")) {
                throw new DataFormatException(in + ": unexpected tensor '" + name + "' (allowed: core.k, x, ids, gy, scale)");
            }
        }
        int rank = cores.get(0).rank();
        for (int k = 0; k < cores.size(); k++) {
            if (cores.get(k).rank() != rank || (rank != 3 && rank != 4)) {
                throw new DataFormatException(in + ": core." + k + " has shape " + Arrays.toString(cores.get(k).shape())
                        + "; all cores must be 3-D (TT) or all 4-D (TTM)");
            }
            int left = cores.get(k).dim(0), right = cores.get(k).dim(-1);
            if (k == 0 && left != 1) {
                throw new DataFormatException(in + ": core.0 must start with rank 1, has " + left);
            }
            if (k == cores.size() - 1 && right != 1) {
                throw new DataFormatException(in + ": core." + k + " must end with rank 1, has " + right);
            }
            if (k > 0 && left != cores.get(k - 1).dim(-1)) {
                throw new DataFormatException(in + ": core." + (k - 1) + " ends with rank " + cores.get(k - 1).dim(-1)
                        + " but core." + k + " starts with " + left);
            }
        }
        Tensor gy = floats(file, "gy");
        SafeTensorsWriter w = SafeTensors.writer();
        List<Tensor> params;
        if (rank == 3) {
            if (cores.size() % 2 != 0) {
                throw new DataFormatException(in + ": a TT layer has an even number of cores (d output + d input), got " + cores.size());
            }
            int d = cores.size() / 2;
            int[] outModes = new int[d], inModes = new int[d];
            for (int k = 0; k < d; k++) {
                outModes[k] = cores.get(k).dim(1);
                inModes[k] = cores.get(d + k).dim(1);
            }
            TtLinear layer = TtLinear.fromCores(cores, outModes, inModes, false);
            if (quantizer != null) {
                layer.quantizeWeights(quantizer);
            }
            Tensor x = input(file, layer.inFeatures());
            Tensor y = layer.forward(x);
            backward(y, gy);
            w.putF32("y", y).putF32("grad.x", x.grad());
            params = layer.cores();
        } else if (file.contains("ids")) {
            long product = 1;
            for (Tensor c : cores) {
                product *= c.dim(1);
            }
            TtmEmbedding emb = TtmEmbedding.fromCores((int) product, cores);
            if (quantizer != null) {
                emb.quantizeWeights(quantizer);
            }
            SafeTensorEntry idsEntry = file.get("ids");
            if (!idsEntry.dtype().isInteger() || idsEntry.intShape().length != 1) {
                throw new DataFormatException(in + ": 'ids' must be a 1-D integer tensor, got " + idsEntry.dtype()
                        + " " + Arrays.toString(idsEntry.intShape()));
            }
            int[] ids;
            try {
                ids = idsEntry.toIntArray();
                Tensor y = emb.forward(ids, ids.length);
                backward(y, gy);
                w.putF32("y", y);
            } catch (IndexOutOfBoundsException | ArithmeticException e) {
                throw new DataFormatException(in + ": ids: " + e.getMessage());
            }
            params = emb.cores();
        } else {
            TtmLinear layer = TtmLinear.fromCores(cores, false);
            if (quantizer != null) {
                layer.quantizeWeights(quantizer);
            }
            Tensor x = input(file, layer.inFeatures());
            Tensor y = layer.forward(x);
            backward(y, gy);
            w.putF32("y", y).putF32("grad.x", x.grad());
            params = layer.cores();
        }
        for (int k = 0; k < params.size(); k++) {
            Tensor g = params.get(k).grad();
            w.putF32("grad.core." + k, g == null ? Tensor.zeros(params.get(k).shape()) : g);
        }
        if (quantizer != null) {
            w.putF32("grad.scale", quantizer.scale().grad() == null ? Tensor.zeros(1) : quantizer.scale().grad());
        }
        w.write(out);
        System.out.println("wrote " + out);
        return 0;
    }

    /** The learned-scale quantizer of a quantized case: tensor 'scale' [1] and metadata "bits" 2, 4 or 8. */
    private LearnedScaleQuantizer quantizer(SafeTensorFile file) throws DataFormatException {
        boolean hasScale = file.contains("scale"), hasBits = file.metadata().containsKey("bits");
        if (!hasScale && !hasBits) {
            return null;
        }
        if (!hasScale || !hasBits) {
            throw new DataFormatException(in + ": a quantized case needs both tensor 'scale' [1] and metadata \"bits\"");
        }
        String bits = file.metadata().get("bits");
        if (!bits.equals("2") && !bits.equals("4") && !bits.equals("8")) {
            throw new DataFormatException(in + ": metadata bits must be \"2\", \"4\" or \"8\", got \"" + bits + "\"");
        }
        Tensor scale = floats(file, "scale");
        if (scale.numel() != 1) {
            throw new DataFormatException(in + ": 'scale' must hold one value (one scale per layer), has shape "
                    + Arrays.toString(scale.shape()));
        }
        try {
            return new LearnedScaleQuantizer(Integer.parseInt(bits)).setScale(scale.data()[0]);
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(in + ": 'scale': " + e.getMessage());
        }
    }

    private Tensor input(SafeTensorFile file, int features) throws DataFormatException {
        Tensor x = floats(file, "x");
        if (x.rank() != 2 || x.dim(1) != features) {
            throw new DataFormatException(in + ": 'x' has shape " + Arrays.toString(x.shape()) + ", expected [B, " + features + "]");
        }
        return x.requiresGrad(true);
    }

    private void backward(Tensor y, Tensor gy) throws DataFormatException {
        if (!Arrays.equals(y.shape(), gy.shape())) {
            throw new DataFormatException(in + ": 'gy' has shape " + Arrays.toString(gy.shape()) + " but y has "
                    + Arrays.toString(y.shape()));
        }
        y.backward(gy);
    }

    private Tensor floats(SafeTensorFile file, String name) throws DataFormatException {
        if (!file.contains(name)) {
            throw new DataFormatException(in + ": missing tensor '" + name + "'");
        }
        SafeTensorEntry e = file.get(name);
        if (e.dtype() != DType.F32 && e.dtype() != DType.F16 && e.dtype() != DType.BF16) {
            throw new DataFormatException(in + ": tensor '" + name + "' must be floating point, is " + e.dtype());
        }
        return e.toFloatTensor();
    }
}
