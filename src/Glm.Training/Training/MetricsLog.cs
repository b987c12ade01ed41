using System.Text.Json.Nodes;

namespace Glm.Training.Training;

/// <summary>
/// metrics.jsonl next to the checkpoint: one JSON object per line, training lines {"step","loss","lr","tokens",
/// "tokens_per_s","mfu","elapsed_s"} and evaluation lines {"step","eval_loss","eval_ppl","infill_acc"}. Also keeps the
/// curves in memory to redraw loss.svg. A first line (step 0) records the unigram baseline loss, the measured peak
/// matmul FLOP/s and the parameter count. On resume, lines past the resumed step (written by the killed run after its
/// last checkpoint) are dropped so the log reads as one unbroken run.
/// </summary>
public sealed class MetricsLog
{
    private readonly string _path;
    private readonly List<(double Step, double Loss)> _train = [];
    private readonly List<(double Step, double Loss)> _eval = [];

    public MetricsLog(string path, int keepThroughStep)
    {
        _path = path;
        var kept = new List<string>();
        if (File.Exists(path))
        {
            foreach (string line in File.ReadLines(path))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                var node = JsonNode.Parse(line)!.AsObject();
                int step = node["step"]!.GetValue<int>();
                if (step > keepThroughStep) continue;
                kept.Add(line);
                if (node["loss"] is { } loss) _train.Add((step, loss.GetValue<double>()));
                if (node["eval_loss"] is { } evalLoss) _eval.Add((step, evalLoss.GetValue<double>()));
            }
        }
        File.WriteAllLines(path, kept);
    }

    public IReadOnlyList<(double Step, double Loss)> Train => _train;
    public IReadOnlyList<(double Step, double Loss)> Eval => _eval;

    public void Append(TrainingProgress p)
    {
        _train.Add((p.Step, p.Loss));
        Write(new JsonObject
        {
            ["step"] = p.Step,
            ["loss"] = p.Loss,
            ["lr"] = p.LearningRate,
            ["tokens"] = p.TokensSeen,
            ["tokens_per_s"] = Math.Round(p.TokensPerSecond, 1),
            ["mfu"] = Math.Round(p.ModelFlopsUtilization, 4),
            ["elapsed_s"] = Math.Round(p.Elapsed.TotalSeconds, 2),
        });
    }

    /// <summary>The run's reference figures, written once as the step-0 line.</summary>
    public void AppendBaseline(double unigramLoss, double peakFlops, long parameters) => Write(new JsonObject
    {
        ["step"] = 0,
        ["unigram_loss"] = unigramLoss,
        ["peak_flops"] = peakFlops,
        ["parameters"] = parameters,
    });

    public void Append(EvalResult e)
    {
        _eval.Add((e.Step, e.Loss));
        var node = new JsonObject { ["step"] = e.Step, ["eval_loss"] = e.Loss, ["eval_ppl"] = e.Perplexity };
        if (e.InfillAccuracy is { } acc) node["infill_acc"] = acc;
        Write(node);
    }

    private void Write(JsonObject node) => File.AppendAllText(_path, node.ToJsonString() + "\n");
}
