namespace Glm.Inference.Sampling;

/// <summary>
/// How the next token is picked from the logits. Temperature 0 is greedy (argmax, ties to the lowest id); the filters
/// apply only when sampling, in this order: penalties, temperature, top-k, top-p, min-p. Immutable; <see cref="Validate"/>
/// names the first bad field.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>0 = greedy; otherwise logits are divided by it.</summary>
    public double Temperature { get; init; }

    /// <summary>Keep only the k most likely tokens; 0 = off.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches p; 1 = off.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Drop tokens whose probability is below min_p × the top probability; 0 = off.</summary>
    public double MinP { get; init; }

    /// <summary>HF-style: a seen token's positive logit is divided by it, a negative one multiplied; 1 = off.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>OpenAI-style: subtracted once from the logit of every token seen; 0 = off.</summary>
    public double PresencePenalty { get; init; }

    /// <summary>OpenAI-style: subtracted per occurrence from the logit of every token seen; 0 = off.</summary>
    public double FrequencyPenalty { get; init; }

    /// <summary>Seed of the random generator; null = a random seed.</summary>
    public int? Seed { get; init; }

    public SamplingOptions Validate()
    {
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be ≥ 0");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top_k must be ≥ 0");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top_p must be in (0, 1]");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "min_p must be in [0, 1]");
        if (!(RepetitionPenalty > 0)) throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "repetition_penalty must be > 0");
        if (double.IsNaN(PresencePenalty) || double.IsNaN(FrequencyPenalty)) throw new ArgumentOutOfRangeException(nameof(PresencePenalty), "penalties must be numbers");
        return this;
    }
}
