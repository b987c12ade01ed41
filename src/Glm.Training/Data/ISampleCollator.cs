namespace Glm.Training.Data;

/// <summary>
/// Turns a run of source tokens into one fixed-length training sample. The trainer asks the stream for chunks of
/// <see cref="MaxSourceLength"/> tokens and collates each; implementations are immutable and thread-safe (all
/// randomness comes from the rng passed in).
/// </summary>
public interface ISampleCollator
{
    /// <summary>Length L of every sample.</summary>
    int SeqLength { get; }

    /// <summary>Most source tokens a sample uses; longer sources are cut to their first MaxSourceLength tokens.</summary>
    int MaxSourceLength { get; }

    /// <summary>Builds one sample; never throws for any source (an empty one gives an all-pad sample).</summary>
    InfillSample Build(ReadOnlySpan<int> source, Random rng);
}
