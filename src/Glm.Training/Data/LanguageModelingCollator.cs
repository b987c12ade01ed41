using Glm.Core;

namespace Glm.Training.Data;

/// <summary>Settings of <see cref="LanguageModelingCollator"/>. Immutable; <see cref="Validate"/> before use.</summary>
public sealed record LanguageModelingOptions
{
    /// <summary>Length L of every produced sample.</summary>
    public int SeqLength { get; init; } = 512;

    /// <summary>Input id of padding positions.</summary>
    public required int Pad { get; init; }

    public LanguageModelingOptions Validate()
    {
        if (SeqLength < 1) throw new GlmException($"language-modeling SeqLength must be positive, got {SeqLength}");
        if (Pad < 0) throw new GlmException($"language-modeling Pad must not be negative, got {Pad}");
        return this;
    }
}

/// <summary>
/// The plain left-to-right baseline in the same sample shape as blank infilling, so the two train at equal compute:
/// Part A is empty (the attention rule becomes causal), inputs are <c>source[0..n-1)</c>, targets
/// <c>source[1..n)</c>, positions <c>0..n-2</c>, block positions 0, every real position carries a loss. A source
/// of L + 1 tokens fills a sample. Immutable and thread-safe.
/// </summary>
public sealed class LanguageModelingCollator : ISampleCollator
{
    private readonly LanguageModelingOptions _options;

    public LanguageModelingCollator(LanguageModelingOptions options) => _options = options.Validate();

    public int SeqLength => _options.SeqLength;

    public int MaxSourceLength => _options.SeqLength + 1;

    /// <summary>Builds the sample; the rng is not used (the baseline has no randomness).</summary>
    public InfillSample Build(ReadOnlySpan<int> source, Random rng)
    {
        if (source.Length > MaxSourceLength) source = source[..MaxSourceLength];
        var sample = InfillSample.Empty(SeqLength, _options.Pad, InfillMode.LeftToRight);
        if (source.Length < 2) return sample;
        int t = source.Length - 1;
        source[..t].CopyTo(sample.InputIds);
        source[1..(t + 1)].CopyTo(sample.TargetIds);
        for (int i = 0; i < t; i++)
        {
            sample.PositionIds[i] = i;
            sample.LossMask[i] = 1;
        }
        return sample with { Length = t };
    }
}
