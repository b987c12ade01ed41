using Glm.Core;

namespace Glm.Training.Data;

/// <summary>Settings of <see cref="PackedTokenStream"/>. Immutable; <see cref="Validate"/> names the first bad field.</summary>
public sealed record PackedStreamOptions
{
    /// <summary>Tokens per chunk (the collator's MaxSourceLength).</summary>
    public required int ChunkSize { get; init; }

    /// <summary>Id appended after every document.</summary>
    public required int EndOfText { get; init; }

    /// <summary>Passes over the corpus; null loops forever. A final partial chunk is dropped.</summary>
    public int? Epochs { get; init; }

    /// <summary>With a seed, chunks are permuted within windows of <see cref="ShuffleWindow"/>; null keeps corpus order.</summary>
    public long? ShuffleSeed { get; init; }

    /// <summary>Chunks permuted together when <see cref="ShuffleSeed"/> is set.</summary>
    public int ShuffleWindow { get; init; } = 256;

    public PackedStreamOptions Validate()
    {
        if (ChunkSize < 1) throw new GlmException($"stream ChunkSize must be positive, got {ChunkSize}");
        if (EndOfText < 0) throw new GlmException($"stream EndOfText must not be negative, got {EndOfText}");
        if (Epochs is < 1) throw new GlmException($"stream Epochs must be positive, got {Epochs}");
        if (ShuffleWindow < 1) throw new GlmException($"stream ShuffleWindow must be positive, got {ShuffleWindow}");
        return this;
    }
}
