package ttq.examples;

import java.nio.file.Path;
import java.util.Random;
import ttq.engine.GradMode;
import ttq.engine.Ops;
import ttq.engine.Tensor;
import ttq.engine.io.Checkpoints;
import ttq.engine.optim.Adam;
import ttq.engine.quant.LearnedScaleQuantizer;
import ttq.model.tt.ContractionPlan;
import ttq.model.tt.TtLinear;

/**
 * The README's library example: an INT8 TT layer learns another TT layer's map with a loop you
 * own, then is saved as safetensors. Before learned scales were stepped in the log domain, this
 * layer's scale drifted to zero under Adam and the loss stuck at the target's variance.
 *
 * <pre>java -cp tools/target/ttq.jar ttq.examples.FitTtLayer [OUT.safetensors]</pre>
 */
public final class FitTtLayer {
    private FitTtLayer() {
    }

    public static void main(String[] args) throws Exception {
        Random random = new Random(0);
        TtLinear teacher = new TtLinear(new int[] {8, 8}, new int[] {8, 8}, 4, false, new Random(1)); // the map to learn
        TtLinear layer = new TtLinear(new int[] {8, 8}, new int[] {8, 8}, 4, true, random);           // 64 -> 64, TT rank 4
        layer.quantizeWeights(new LearnedScaleQuantizer(8));                                          // INT8 cores, learned scale
        layer.pin(ContractionPlan.optimal(layer.network(32)).spec());                                 // or pin any order by hand
        Adam optimizer = new Adam(layer.parameters(), 1e-2f, 0.9f, 0.999f, 1e-8f, 0f);
        for (int step = 0; step <= 600; step++) {
            Tensor x = Tensor.normal(random, 1f, 32, 64), target;
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                target = teacher.forward(x);
            }
            Tensor loss = Ops.mse(layer.forward(x), target);
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            if (step % 200 == 0) {
                System.out.printf(java.util.Locale.ROOT, "step %d  loss %.5f%n", step, loss.item());
            }
        }
        Checkpoints.save(Path.of(args.length > 0 ? args[0] : "fit-tt-layer.safetensors"), layer);
    }
}
