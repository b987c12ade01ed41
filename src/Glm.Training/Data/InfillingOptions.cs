using Glm.Core;

namespace Glm.Training.Data;

/// <summary>
/// Settings of <see cref="BlankInfillingCollator"/>: the sequence length, the special token ids, the mix of the three
/// objectives and their span statistics (glm-spec 1.4-1.5; defaults are the paper's GLM-10B mix with the code default
/// document ratio). Immutable; <see cref="Validate"/> names the first bad field.
/// </summary>
public sealed record InfillingOptions
{
    /// <summary>Length L of every produced sample, Part A + Part B + padding.</summary>
    public int SeqLength { get; init; } = 512;

    public required int Mask { get; init; }
    public required int SMask { get; init; }
    public required int GMask { get; init; }
    public required int Sop { get; init; }
    public required int Eop { get; init; }

    /// <summary>Input id of padding positions (they carry no loss and no real token attends to them).</summary>
    public required int Pad { get; init; }

    /// <summary>Probability of the token-level objective ([MASK] spans).</summary>
    public double TokenLevel { get; init; } = 0.5;

    /// <summary>Probability of the sentence-level objective ([sMASK] sentences).</summary>
    public double SentenceLevel { get; init; } = 0.3;

    /// <summary>Probability of the document-level objective (one [gMASK] suffix).</summary>
    public double DocumentLevel { get; init; } = 0.2;

    /// <summary>Token level: span lengths are drawn until they cover at least <c>int(MaskRatio·n)</c> tokens.</summary>
    public double MaskRatio { get; init; } = 0.15;

    /// <summary>Sentence level: sentences are taken until they cover at least <c>int(SentenceRatio·n)</c> tokens.</summary>
    public double SentenceRatio { get; init; } = 0.15;

    /// <summary>Token-level span lengths 1..MaxSpanLength-1 are weighted by the Poisson pmf with this mean.</summary>
    public double PoissonLambda { get; init; } = 3;

    /// <summary>Exclusive upper bound of a token-level span length (GLM's max_block_length).</summary>
    public int MaxSpanLength { get; init; } = 40;

    /// <summary>Document level: the suffix covers at least this fraction of the source.</summary>
    public double DocumentMinRatio { get; init; } = 0.5;

    /// <summary>Whether Part B lists the spans in random order (GLM's default) or in source order.</summary>
    public bool ShuffleSpans { get; init; } = true;

    /// <summary>Throws <see cref="GlmException"/> naming the first field that does not fit.</summary>
    public InfillingOptions Validate()
    {
        if (SeqLength < 3) throw new GlmException($"infilling SeqLength must be at least 3, got {SeqLength}");
        int[] ids = [Mask, SMask, GMask, Sop, Eop];
        if (ids.Any(id => id < 0) || Pad < 0)
            throw new GlmException("infilling special token ids (Mask, SMask, GMask, Sop, Eop, Pad) must not be negative");
        if (ids.Distinct().Count() != ids.Length)
            throw new GlmException($"infilling special ids Mask, SMask, GMask, Sop, Eop must differ, got {string.Join(", ", ids)}");
        Probability(TokenLevel, nameof(TokenLevel));
        Probability(SentenceLevel, nameof(SentenceLevel));
        Probability(DocumentLevel, nameof(DocumentLevel));
        double mix = TokenLevel + SentenceLevel + DocumentLevel;
        if (Math.Abs(mix - 1) > 1e-6)
            throw new GlmException($"infilling TokenLevel + SentenceLevel + DocumentLevel must be 1, got {mix}");
        Fraction(MaskRatio, nameof(MaskRatio));
        Fraction(SentenceRatio, nameof(SentenceRatio));
        if (!(DocumentMinRatio > 0 && DocumentMinRatio <= 1))
            throw new GlmException($"infilling DocumentMinRatio must be in (0, 1], got {DocumentMinRatio}");
        if (!(PoissonLambda > 0 && double.IsFinite(PoissonLambda)))
            throw new GlmException($"infilling PoissonLambda must be positive, got {PoissonLambda}");
        if (MaxSpanLength < 2) throw new GlmException($"infilling MaxSpanLength must be at least 2, got {MaxSpanLength}");
        return this;
    }

    private static void Probability(double p, string field)
    {
        if (!(p >= 0 && p <= 1)) throw new GlmException($"infilling {field} must be in [0, 1], got {p}");
    }

    private static void Fraction(double p, string field)
    {
        if (!(p > 0 && p < 1)) throw new GlmException($"infilling {field} must be in (0, 1), got {p}");
    }
}
