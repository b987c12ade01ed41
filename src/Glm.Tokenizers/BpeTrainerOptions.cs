using Glm.Core;

namespace Glm.Tokenizers;

/// <summary>Settings of <see cref="BpeTrainer"/>. Immutable; <see cref="Validate"/> before use.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>Total vocabulary: the 256 byte tokens, the merges, and the ten GLM specials; must exceed 266. Training
    /// stops early (a smaller vocabulary) when no pair reaches <see cref="MinFrequency"/>.</summary>
    public int VocabSize { get; init; } = 32_000;

    /// <summary>A pair is merged only if it occurs at least this many times in the counted text.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Pre-tokenized pieces longer than this many UTF-8 bytes are left out of the counts (they can still be
    /// encoded later, from shorter tokens).</summary>
    public int MaxPieceBytes { get; init; } = 256;

    /// <summary>Only this many distinct pieces, the most frequent, take part in merging; bounds memory.</summary>
    public int MaxDistinctPieces { get; init; } = 4_000_000;

    /// <summary>Throws <see cref="GlmException"/> naming the first setting that does not fit.</summary>
    public BpeTrainerOptions Validate()
    {
        int minimum = 256 + GlmSpecialTokens.Glm4Order.Count;
        if (VocabSize <= minimum) throw new GlmException($"VocabSize must exceed {minimum} (256 bytes + {GlmSpecialTokens.Glm4Order.Count} specials), got {VocabSize}");
        if (MinFrequency < 1) throw new GlmException($"MinFrequency must be at least 1, got {MinFrequency}");
        if (MaxPieceBytes < 2) throw new GlmException($"MaxPieceBytes must be at least 2, got {MaxPieceBytes}");
        if (MaxDistinctPieces < 1) throw new GlmException($"MaxDistinctPieces must be positive, got {MaxDistinctPieces}");
        return this;
    }
}

/// <summary>Phases of <see cref="BpeTrainer.Train"/>, in order.</summary>
public enum BpeTrainingPhase
{
    /// <summary>Pre-tokenizing documents and counting pieces; items are documents.</summary>
    Counting,

    /// <summary>Learning merges; items are merges.</summary>
    Merging,
}

/// <summary>
/// A progress report: <paramref name="Done"/> of <paramref name="Total"/> items in <paramref name="Phase"/>. While
/// counting, Total is the number of documents if the sequence knows it without enumerating (a list or an array),
/// else null; while merging it is the number of merges wanted.
/// </summary>
public sealed record BpeTrainingProgress(BpeTrainingPhase Phase, long Done, long? Total);
