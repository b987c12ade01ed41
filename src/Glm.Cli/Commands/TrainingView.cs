using Glm.Training.Training;
using Spectre.Console;

namespace Glm.Cli.Commands;

/// <summary>Shows a training run as a progress bar (loss, tokens/s, MFU, ETA) with evaluation lines above it.</summary>
internal static class TrainingView
{
    public static EvalResult? Run(Trainer trainer, CancellationToken cancel)
    {
        var console = CliRunner.Status;
        console.MarkupLine($"[grey]{trainer.Model.Family}: {trainer.Model.ParameterCount:N0} parameters; " +
                           $"peak matmul {trainer.PeakFlops / 1e9:0.0} GFLOP/s on {Environment.ProcessorCount} cores; " +
                           $"unigram baseline loss {trainer.UnigramLoss:0.000}; starting at step {trainer.Step}[/]");
        EvalResult? final = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: 1);
                final = trainer.Run(
                    onStep: p =>
                    {
                        task.MaxValue = p.TotalSteps;
                        task.Value = p.Step;
                        task.Description = $"step {p.Step}/{p.TotalSteps} loss {p.Loss:0.000} lr {p.LearningRate:0.0e0} " +
                                           $"{p.TokensPerSecond / 1000:0.0}k tok/s MFU {p.ModelFlopsUtilization:P0} ETA {p.Remaining:hh\\:mm\\:ss}";
                    },
                    onEval: e => console.MarkupLine(
                        $"step {e.Step}: held-out loss [bold]{e.Loss:0.000}[/] perplexity {e.Perplexity:0.00}" +
                        (e.InfillAccuracy is { } a ? $" infill accuracy {a:P1}" : "")),
                    cancel: cancel);
            });
        return final;
    }
}
