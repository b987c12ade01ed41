namespace Glm.Training.Training;

/// <summary>Redraws &lt;out&gt;/loss.svg from the metrics of a run.</summary>
internal static class LossPicture
{
    public const string FileName = "loss.svg";

    public static void Write(string outDir, MetricsLog metrics, double unigramLoss, string title)
    {
        var smoothed = new List<(double, double)>();
        double ema = double.NaN;
        foreach (var (step, loss) in metrics.Train)
        {
            ema = double.IsNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
            smoothed.Add((step, ema));
        }
        var series = new List<LossSeries>
        {
            new("train loss (objective)", "#9ecae1", metrics.Train),
            new("train loss (smoothed)", "#1f77b4", smoothed),
            new("held-out loss (continuation)", "#d62728", metrics.Eval),
        };
        if (double.IsFinite(unigramLoss) && metrics.Train.Count > 0)
            series.Add(new("unigram baseline", "#555555", [(0, unigramLoss), (metrics.Train[^1].Step, unigramLoss)], Dashed: true));
        Glm.Checkpoints.AtomicFile.WriteAllText(Path.Combine(outDir, FileName), LossCurve.ToSvg(title, series));
    }
}
