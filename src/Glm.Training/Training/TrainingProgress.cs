namespace Glm.Training.Training;

/// <summary>A snapshot after one optimizer step, for progress bars and logs.</summary>
/// <param name="Loss">Training loss of this step in nats per target token.</param>
/// <param name="TokensPerSecond">Input tokens (all positions of all sequences) per wall-clock second, smoothed.</param>
/// <param name="ModelFlopsUtilization">Model FLOP/s achieved divided by the machine's measured peak matmul FLOP/s.</param>
public sealed record TrainingProgress(
    int Step, int TotalSteps, double Loss, double LearningRate, long TokensSeen,
    double TokensPerSecond, double ModelFlopsUtilization, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>Held-out figures measured during or after training.</summary>
/// <param name="Loss">Mean negative log-likelihood per token on held-out text, in nats.</param>
/// <param name="InfillAccuracy">Share of blanked tokens the model predicts exactly (teacher forced); null for left-to-right models.</param>
public sealed record EvalResult(int Step, double Loss, double Perplexity, double? InfillAccuracy, long Tokens);
