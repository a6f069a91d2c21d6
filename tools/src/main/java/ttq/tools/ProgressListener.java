package ttq.tools;

import java.nio.file.Path;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import ttq.model.train.Evaluation;
import ttq.model.train.StepInfo;
import ttq.model.train.TrainingListener;

/**
 * The command line's view of a {@link ttq.model.train.Trainer} run: a progress bar per epoch (steps,
 * mean loss, tokens per second), a line per epoch with the dev result, and the resume and stop
 * messages.
 */
final class ProgressListener implements TrainingListener {
    private final Path runFolder;
    private ProgressBar bar;
    private long epochStart, tokens;
    private boolean phases;

    ProgressListener(Path runFolder) {
        this.runFolder = runFolder;
    }

    @Override
    public void resumed(Path checkpoint, int epoch, int step) {
        System.out.printf("resuming %s at epoch %d%s%n", runFolder, epoch, step > 0 ? ", step " + step : "");
    }

    @Override
    public void epochStarted(int epoch, int totalEpochs, String phase, int steps, int firstStep) {
        phases = !phase.isEmpty();
        bar = new ProgressBarBuilder().setTaskName("epoch " + epoch + (phases ? "/" + totalEpochs + " " + phase : ""))
                .setInitialMax(steps).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().build();
        bar.stepTo(firstStep);
        epochStart = System.nanoTime();
        tokens = 0;
    }

    @Override
    public void stepFinished(StepInfo step, float loss, double meanLoss, int examples, long batchTokens) {
        tokens += batchTokens;
        bar.step();
        double secs = (System.nanoTime() - epochStart) / 1e9;
        bar.setExtraMessage(tokens > 0 ? String.format(Locale.ROOT, "loss %.4f, %.0f tokens/s", meanLoss, tokens / secs)
                : String.format(Locale.ROOT, "loss %.4f", meanLoss));
    }

    @Override
    public void epochFinished(int epoch, int totalEpochs, String phase, double meanLoss, Evaluation dev) {
        bar.close();
        System.out.printf(Locale.ROOT, "epoch %d%s: loss %.4f%s%n", epoch, phases ? "/" + totalEpochs + " (" + phase + ")" : "", meanLoss,
                dev == null ? "" : " | dev " + dev.summary());
    }

    @Override
    public void stopped(int epoch, long steps) {
        if (bar != null) {
            bar.close();
        }
        System.out.printf("stopped after %d steps (epoch %d), as asked; continue with --resume%n", steps, epoch);
    }
}
