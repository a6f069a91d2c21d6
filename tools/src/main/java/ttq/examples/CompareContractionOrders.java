package ttq.examples;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import ttq.engine.Tensor;
import ttq.model.tt.ContractionPlan;
import ttq.model.tt.TensorNetwork;
import ttq.model.tt.TtLinear;

/**
 * Example 1: every contraction order of one TT layer, its FLOPs and its measured forward+backward
 * time, with the planner's choice marked. Copy it and change the modes, ranks or batch.
 *
 * <pre>java -cp tools/target/ttq.jar ttq.examples.CompareContractionOrders [batch]</pre>
 */
public final class CompareContractionOrders {
    private CompareContractionOrders() {
    }

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        // the paper's attention projection: 768 = 24 x 32 outputs, 768 = 32 x 24 inputs, rank 10
        TtLinear layer = new TtLinear(new int[] {24, 32}, new int[] {32, 24}, 10, true, new Random(1));
        TensorNetwork network = layer.network(batch);
        ContractionPlan chosen = ContractionPlan.optimal(network);
        List<ContractionPlan> orders = ContractionPlan.enumerate(network, 100).plans();

        Random random = new Random(2);
        Tensor x = Tensor.normal(random, 1f, batch, layer.inFeatures());
        Tensor gy = Tensor.normal(random, 1f, batch, layer.outFeatures());
        double[] ms = new double[orders.size()];
        for (int round = -1; round < 3; round++) { // one warm-up round, then the best of three
            for (int i = 0; i < orders.size(); i++) {
                layer.pin(orders.get(i).spec());
                Tensor xg = x.copy().requiresGrad(true);
                layer.zeroGrad();
                long t0 = System.nanoTime();
                layer.forward(xg).backward(gy);
                double t = (System.nanoTime() - t0) / 1e6;
                ms[i] = round <= 0 ? t : Math.min(ms[i], t);
            }
        }
        System.out.printf(Locale.ROOT, "TT layer %dx%d, ranks %s, batch %d: %d contraction orders (* = planner's choice)%n",
                layer.outFeatures(), layer.inFeatures(), Arrays.toString(layer.ranks()), batch, orders.size());
        System.out.printf(Locale.ROOT, "  %-44s %10s %12s%n", "order", "MFLOPs", "fwd+bwd ms");
        for (int i = 0; i < orders.size(); i++) {
            ContractionPlan p = orders.get(i);
            System.out.printf(Locale.ROOT, "%s %-44s %10.2f %12.3f%n", p.spec().equals(chosen.spec()) ? "*" : " ", p.spec(),
                    p.flops() / 1e6, ms[i]);
        }
        System.out.printf(Locale.ROOT, "dense layer: %.2f MFLOPs forward%n", 2.0 * batch * layer.inFeatures() * layer.outFeatures() / 1e6);
    }
}
