using Glm.Core;

namespace Glm.Training.Training;

/// <summary>What the model learns to do: GLM's blank infilling, or the plain left-to-right baseline.</summary>
public enum TrainingObjective
{
    /// <summary>Autoregressive blank infilling (token, sentence and document spans mixed).</summary>
    Infill,

    /// <summary>Plain next-token prediction, the baseline GLM is compared against.</summary>
    LeftToRight,

    /// <summary>Supervised fine-tuning on conversations in the GLM-4 chat format, loss on assistant replies only.</summary>
    Chat,
}

/// <summary>
/// Optimisation and schedule settings of one training run. Immutable; <see cref="Validate"/> names the first bad
/// field in command-line terms. Steps count optimizer updates; a step sees BatchSize x GradAccumulation sequences of
/// SeqLength tokens.
/// </summary>
public sealed record TrainingOptions
{
    public TrainingObjective Objective { get; init; } = TrainingObjective.Infill;
    public int SeqLength { get; init; } = 128;
    public int BatchSize { get; init; } = 16;
    public int GradAccumulation { get; init; } = 1;
    public int Steps { get; init; } = 1000;

    /// <summary>Peak learning rate, reached after <see cref="WarmupSteps"/> and decayed by cosine to MinLrRatio x peak.</summary>
    public double LearningRate { get; init; } = 3e-3;
    public double MinLrRatio { get; init; } = 0.1;
    public int WarmupSteps { get; init; } = 50;
    public double WeightDecay { get; init; } = 0.1;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;

    /// <summary>Global gradient L2 norm is clipped to this value; 0 disables clipping.</summary>
    public double GradClip { get; init; } = 1.0;

    public long Seed { get; init; } = 1234;

    /// <summary>Where tensors live: cpu, cuda or cuda:N (<see cref="TrainingDevice"/>).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Evaluate on held-out data every this many steps (and at the end); 0 only at the end.</summary>
    public int EvalInterval { get; init; } = 200;

    /// <summary>Held-out sequences used per evaluation.</summary>
    public int EvalSequences { get; init; } = 64;

    /// <summary>Write a resumable checkpoint every this many steps (and at the end).</summary>
    public int CheckpointInterval { get; init; } = 100;

    /// <summary>Stop after this many seconds of training (checkpointing first); 0 means no limit.</summary>
    public double TimeLimitSeconds { get; init; }

    /// <summary>Mix of blank-infilling modes: token-level [MASK], sentence-level [sMASK], document-level [gMASK].</summary>
    public double TokenSpanProbability { get; init; } = 0.5;
    public double SentenceSpanProbability { get; init; } = 0.3;
    public double DocumentSpanProbability { get; init; } = 0.2;

    public TrainingOptions Validate()
    {
        Positive(SeqLength, "--seq-len");
        Positive(BatchSize, "--batch");
        Positive(GradAccumulation, "--grad-accum");
        Positive(Steps, "--steps");
        if (SeqLength < 8) throw new GlmException($"--seq-len must be at least 8, got {SeqLength}");
        if (!(LearningRate > 0)) throw new GlmException($"--lr must be positive, got {LearningRate}");
        if (MinLrRatio is < 0 or > 1) throw new GlmException($"--min-lr-ratio must be in [0, 1], got {MinLrRatio}");
        if (WarmupSteps < 0) throw new GlmException($"--warmup must not be negative, got {WarmupSteps}");
        if (GradClip < 0) throw new GlmException($"--clip must not be negative, got {GradClip}");
        if (EvalInterval < 0 || CheckpointInterval < 0) throw new GlmException("--eval-every and --save-every must not be negative");
        Positive(EvalSequences, "--eval-sequences");
        double mix = TokenSpanProbability + SentenceSpanProbability + DocumentSpanProbability;
        if (TokenSpanProbability < 0 || SentenceSpanProbability < 0 || DocumentSpanProbability < 0 || Math.Abs(mix - 1) > 1e-6)
            throw new GlmException($"span mode probabilities must be non-negative and sum to 1, got {mix}");
        return this;
    }

    private static void Positive(int value, string option)
    {
        if (value <= 0) throw new GlmException($"{option} must be a positive integer, got {value}");
    }
}
