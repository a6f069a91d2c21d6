package ttq.engine.quant;

import java.util.List;
import ttq.engine.GradMode;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.nn.Module;
import ttq.engine.profile.Profiler;

/**
 * A b-bit symmetric quantizer with its own scale, shared by every tensor passed through it (the
 * paper shares one scale between all cores of a layer). The scale is a trainable parameter
 * ({@link Calibration#LEARNED}) or a buffer tracking an exponential moving average of
 * max|x| / (2^(b-1) - 1) in training mode ({@link Calibration#EMA}). It is initialised from the
 * first data it sees: max|x| / Q_p ({@link Init#MAX}) or LSQ's 2 mean|x| / sqrt(Q_p)
 * ({@link Init#LSQ}), Q_p = 2^(b-1) - 1. LSQ's gradient scaling 1/sqrt(N Q_p) is optional, off by
 * default.
 */
public final class LearnedScaleQuantizer extends Module {
    /** How the scale is initialised from the first data. */
    public enum Init { MAX, LSQ }

    /** How the scale follows the data after that. */
    public enum Calibration { LEARNED, EMA }

    /** Smallest scale allowed: training can push a learned scale down, never to zero. */
    public static final float MIN_SCALE = 1e-8f;

    private final int bits;
    private final Init init;
    private final Calibration calibration;
    private final boolean lsqGradScale;
    private final float emaMomentum;
    private final Tensor scale;
    private final Tensor initialized;

    /** A per-tensor quantizer with a learned scale initialised from max|x|. */
    public LearnedScaleQuantizer(int bits) {
        this(bits, Init.MAX, Calibration.LEARNED, false, 0.9f);
    }

    /** A quantizer of the given bit width, scale initialisation, calibration mode, LSQ gradient scaling switch and EMA momentum. */
    public LearnedScaleQuantizer(int bits, Init init, Calibration calibration, boolean lsqGradScale, float emaMomentum) {
        if (bits < 2 || bits > 8) {
            throw new IllegalArgumentException("quantizer: bits must be in [2, 8], got " + bits);
        }
        if (!(emaMomentum >= 0f && emaMomentum < 1f)) {
            throw new IllegalArgumentException("quantizer: EMA momentum must be in [0, 1), got " + emaMomentum);
        }
        this.bits = bits;
        this.init = init;
        this.calibration = calibration;
        this.lsqGradScale = lsqGradScale;
        this.emaMomentum = emaMomentum;
        Tensor s = Tensor.ones(1);
        // a learned scale is stepped in the log domain: relative steps, it cannot walk to zero (Tensor#optimizeInLogDomain)
        this.scale = calibration == Calibration.LEARNED ? parameter("scale", s).optimizeInLogDomain(true) : buffer("scale", s);
        this.initialized = buffer("initialized", Tensor.zeros(1));
    }

    /** Bit width b (2, 4 or 8). */
    public int bits() {
        return bits;
    }

    /** The largest positive level, 2^(b-1) - 1. */
    public int qp() {
        return (1 << (bits - 1)) - 1;
    }

    /** The scale tensor ([1]). */
    public Tensor scale() {
        return scale;
    }

    /** Whether the scale has been initialised from data (the first forward does it). */
    public boolean isInitialized() {
        return initialized.data()[0] != 0f;
    }

    /** Sets the scale explicitly (e.g. from a file); data-based initialisation is then skipped. */
    public LearnedScaleQuantizer setScale(float value) {
        if (!(value > 0f) || !Float.isFinite(value)) {
            throw new IllegalArgumentException("quantizer: scale must be positive and finite, got " + value);
        }
        scale.data()[0] = value;
        initialized.data()[0] = 1f;
        return this;
    }

    /**
     * Initialises the scale now from {@code xs} by {@code rule}, whatever rule this quantizer was
     * built with (e.g. LSQ's start for 2-bit weights, where max|x| would round nearly every value
     * to zero); a quantizer already initialised is left alone. Returns whether it set the scale.
     */
    public boolean initializeFrom(List<Tensor> xs, Init rule) {
        if (isInitialized()) {
            return false;
        }
        float fromData = fromData(rule, xs);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            scale.data()[0] = fromData > 0f && Float.isFinite(fromData) ? fromData : 1e-8f;
            initialized.data()[0] = 1f;
        }
        return true;
    }

    /** The scale {@code rule} derives from the values of xs: max|x| / Q_p, or 2 mean|x| / sqrt(Q_p). */
    private float fromData(Init rule, List<Tensor> xs) {
        long n = 0;
        double maxAbs = 0, sumAbs = 0;
        for (Tensor x : xs) {
            n += x.numel();
            for (float v : x.data()) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
                sumAbs += Math.abs(v);
            }
        }
        return (float) (rule == Init.LSQ ? 2 * sumAbs / Math.max(1, n) / Math.sqrt(qp()) : maxAbs / qp());
    }

    /** Quantizes one tensor. */
    public Tensor forward(Tensor x) {
        return forward(List.of(x)).get(0);
    }

    /**
     * Q(GELU(x)): the GELU fused with this quantizer in one op ({@link Ops#geluQuantize}), the same
     * values as {@code forward(x.gelu())}. While the scale is still set from data (first call,
     * calibration in training) the two ops run apart, since that needs GELU(x) itself.
     */
    public Tensor forwardGelu(Tensor x) {
        if (!isInitialized() || (calibration == Calibration.EMA && isTraining()) || scale.numel() != 1) {
            return forward(x.gelu());
        }
        try (Profiler.Scope profiled = Profiler.module(this)) {
            if (!(scale.data()[0] >= MIN_SCALE)) {
                scale.data()[0] = MIN_SCALE;
            }
            float g = lsqGradScale ? (float) (1.0 / Math.sqrt((double) Math.max(1, x.numel()) * qp())) : 1f;
            return Ops.geluQuantize(x, scale, bits, g);
        }
    }

    /** Quantizes several tensors with the one shared scale. */
    public List<Tensor> forward(List<Tensor> xs) {
        try (Profiler.Scope profiled = Profiler.module(this)) {
            long n = 0;
            for (Tensor x : xs) {
                n += x.numel();
            }
            if (!isInitialized() || (calibration == Calibration.EMA && isTraining())) {
                float fromData = fromData(isInitialized() ? Init.MAX : init, xs);
                if (!(fromData > 0f) || !Float.isFinite(fromData)) {
                    fromData = isInitialized() ? scale.data()[0] : 1e-8f; // all zeros: any positive scale quantizes them exactly
                }
                try (GradMode.Scope ignored = GradMode.noGrad()) {
                    if (!isInitialized()) {
                        scale.data()[0] = fromData;
                        initialized.data()[0] = 1f;
                    } else {
                        scale.data()[0] = emaMomentum * scale.data()[0] + (1 - emaMomentum) * fromData;
                    }
                }
            }
            if (!(scale.data()[0] >= MIN_SCALE)) {
                scale.data()[0] = MIN_SCALE; // a learned scale driven to zero or below would make quantization undefined
            }
            float g = lsqGradScale ? (float) (1.0 / Math.sqrt((double) Math.max(1, n) * qp())) : 1f;
            java.util.List<Tensor> out = new java.util.ArrayList<>(xs.size());
            for (Tensor x : xs) {
                out.add(Ops.quantize(x, scale, bits, g));
            }
            return out;
        }
    }
}
