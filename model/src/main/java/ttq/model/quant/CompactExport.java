package ttq.model.quant;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ttq.engine.Tensor;
import ttq.engine.io.DType;
import ttq.engine.io.SafeTensorEntry;
import ttq.engine.io.SafeTensorFile;
import ttq.engine.io.SafeTensors;
import ttq.engine.io.SafeTensorsWriter;
import ttq.engine.nn.Module;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.data.DataFormatException;
import ttq.model.tt.TtLinear;
import ttq.model.tt.TtmEmbedding;
import ttq.model.tt.TtmLinear;

/**
 * The compact deployment file of a model: the cores of every weight-quantized TT/TTM layer stored
 * as integers (INT8 as I8, INT4 two per byte and INT2 four per byte as U8) next to the layer's
 * scale; everything else (biases, norms, dense layers, unquantized layers) as F32. Header metadata
 * names each quantized layer's format, modes, ranks and bits. Loading into a model of the same
 * architecture sets every quantized core to scale * integer, which the quantizer maps to itself,
 * so predictions are identical to the exported model's.
 */
public final class CompactExport {
    /** The header's "format" value. */
    public static final String FORMAT = "ttq-compact-v1";

    private CompactExport() {
    }

    /** Writes the compact file of a model whose quantizers have been initialised (e.g. trained). */
    public static void write(Module model, Path out) throws IOException {
        write(model, out, Map.of());
    }

    /** The same, with extra header metadata (e.g. the model configuration); the key "format" is reserved. */
    public static void write(Module model, Path out, Map<String, String> metadata) throws IOException {
        writer(model, metadata).write(out);
    }

    /** The exact size in bytes of the file {@link #write} produces for this model (header included). */
    public static long fileBytes(Module model, Map<String, String> metadata) throws IOException {
        return writer(model, metadata).fileBytes();
    }

    private static SafeTensorsWriter writer(Module model, Map<String, String> metadata) {
        if (metadata.containsKey("format")) {
            throw new IllegalArgumentException("metadata key 'format' is reserved");
        }
        SafeTensorsWriter w = SafeTensors.writer().metadata("format", FORMAT);
        metadata.forEach(w::metadata);
        Set<String> handled = new HashSet<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            ExportedCores q = ExportedCores.of(e.getKey(), e.getValue());
            if (q == null) {
                continue;
            }
            float scale = q.quantizer.scale().item();
            for (int k = 0; k < q.cores.size(); k++) {
                Tensor core = q.cores.get(k);
                int[] ints = integers(core, scale, q.quantizer.bits());
                String name = q.prefix + "core" + k;
                if (q.quantizer.bits() == 8) {
                    byte[] b = new byte[ints.length];
                    for (int i = 0; i < ints.length; i++) {
                        b[i] = (byte) ints[i];
                    }
                    w.putI8(name, b, core.shape());
                } else {
                    byte[] packed = PackedInts.pack(ints, q.quantizer.bits());
                    w.putU8(name, packed, packed.length);
                }
                handled.add(name);
            }
            w.metadata(q.prefix.isEmpty() ? "(root)" : q.prefix.substring(0, q.prefix.length() - 1), q.describe());
        }
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            if (!handled.contains(e.getKey())) {
                w.putF32(e.getKey(), e.getValue());
            }
        }
        return w;
    }

    /** Loads a compact file into a model of the same architecture. */
    public static void load(Module model, Path in) throws IOException {
        SafeTensorFile file = SafeTensors.read(in);
        if (!FORMAT.equals(file.metadata().get("format"))) {
            throw new DataFormatException(in + ": not a ttq compact model (metadata format is " + file.metadata().get("format") + ")");
        }
        Map<String, Tensor> state = new LinkedHashMap<>();
        Set<String> quantizedCores = new HashSet<>();
        Map<String, Tensor> own = model.stateDict();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            ExportedCores q = ExportedCores.of(e.getKey(), e.getValue());
            if (q == null) {
                continue;
            }
            String scaleName = q.prefix + "weightQuantizer.scale";
            if (!file.contains(scaleName)) {
                throw new DataFormatException(in + ": missing tensor '" + scaleName + "'");
            }
            float scale = file.get(scaleName).toFloatTensor().item();
            for (int k = 0; k < q.cores.size(); k++) {
                String name = q.prefix + "core" + k;
                if (!file.contains(name)) {
                    throw new DataFormatException(in + ": missing tensor '" + name + "'");
                }
                SafeTensorEntry entry = file.get(name);
                int[] shape = q.cores.get(k).shape();
                int count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
                int[] ints;
                if (q.quantizer.bits() == 8) {
                    if (entry.dtype() != DType.I8 || entry.numel() != count) {
                        throw new DataFormatException(in + ": '" + name + "' must be I8 with " + count + " values");
                    }
                    ints = entry.toIntArray();
                } else {
                    if (entry.dtype() != DType.U8 || entry.numel() != PackedInts.packedLength(count, q.quantizer.bits())) {
                        throw new DataFormatException(in + ": '" + name + "' must be U8 holding " + count + " packed "
                                + q.quantizer.bits() + "-bit values");
                    }
                    byte[] bytes = new byte[entry.numel()];
                    entry.data().get(bytes);
                    ints = PackedInts.unpack(bytes, q.quantizer.bits(), count);
                }
                float[] values = new float[count];
                for (int i = 0; i < count; i++) {
                    values[i] = scale * ints[i];
                }
                state.put(name, Tensor.wrap(values, shape));
                quantizedCores.add(name);
            }
        }
        for (String name : own.keySet()) {
            if (quantizedCores.contains(name)) {
                continue;
            }
            if (!file.contains(name)) {
                throw new DataFormatException(in + ": missing tensor '" + name + "'");
            }
            state.put(name, file.get(name).toFloatTensor());
        }
        try {
            model.loadStateDict(state);
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(in + ": " + e.getMessage());
        }
    }

    /** The b-bit codes rint(clip(core / scale)) of a core, exactly as the training network's fake quantizer rounds them. */
    public static int[] integers(Tensor core, float scale, int bits) {
        int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
        float[] d = core.data();
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            float u = d[i] / scale;
            out[i] = (int) Math.rint(u < lo ? lo : (u > hi ? hi : u));
        }
        return out;
    }

    /** A weight-quantized tensor-train module's cores and quantizer, with the names and description the file gives them. */
    private record ExportedCores(String prefix, List<Tensor> cores, LearnedScaleQuantizer quantizer, String describe) {
        static ExportedCores of(String name, Module m) {
            QuantizedCores q = QuantizedCores.of(m);
            if (q == null) {
                return null;
            }
            String bits = " bits=" + q.quantizer().bits();
            String describe;
            if (m instanceof TtLinear t) {
                describe = "tt out=" + join(t.outModes()) + " in=" + join(t.inModes()) + " ranks=" + join(t.ranks()) + bits;
            } else if (m instanceof TtmLinear t) {
                describe = "ttm ranks=" + join(t.ranks()) + bits + " cores=" + shapes(t.cores());
            } else {
                TtmEmbedding t = (TtmEmbedding) m;
                describe = "ttm-embedding vocab=" + t.vocabulary() + " ranks=" + join(t.ranks()) + bits + " cores=" + shapes(t.cores());
            }
            return new ExportedCores(name.isEmpty() ? "" : name + ".", q.cores(), q.quantizer(), describe);
        }

        private static String join(int[] v) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < v.length; i++) {
                sb.append(i == 0 ? "" : ",").append(v[i]);
            }
            return sb.toString();
        }

        private static String shapes(List<Tensor> cores) {
            List<String> s = new ArrayList<>();
            for (Tensor c : cores) {
                s.add(join(c.shape()).replace(',', 'x'));
            }
            return String.join(";", s);
        }
    }
}
