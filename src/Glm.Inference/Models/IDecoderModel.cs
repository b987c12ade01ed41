namespace Glm.Inference.Models;

/// <summary>
/// A causal decoder running one sequence on the CPU (<see cref="ChatGlm"/>, <see cref="Glm4"/>): feed tokens, get
/// next-token logits, with a KV cache in between. Implementations allocate every buffer up front, so
/// <see cref="Decode"/> allocates nothing. Not thread-safe: one call at a time.
/// </summary>
/// <remarks>
/// Besides its own <see cref="Cache"/>, a model can run sequences held in caches from <see cref="CreateCache"/>:
/// <see cref="Prefill(KvCache, ReadOnlySpan{int})"/> appends a prompt to one of them and <see cref="DecodeBatch"/>
/// advances several at once, reading the weights once per step for all of them (continuous batching).
/// </remarks>
public interface IDecoderModel
{
    /// <summary>Most tokens one sequence may hold (the KV cache size).</summary>
    int ContextLength { get; }

    /// <summary>Most prompt tokens computed together.</summary>
    int BatchSize { get; }

    /// <summary>Width of a logits row (the padded vocabulary V).</summary>
    int VocabSize { get; }

    /// <summary>The sequence's KV cache; its <see cref="KvCache.Length"/> is the next token's position.</summary>
    KvCache Cache { get; }

    /// <summary>Starts a new sequence.</summary>
    void Reset();

    /// <summary>
    /// Appends <paramref name="tokens"/> to the sequence and returns the logits after the last one ([V], a view of an
    /// internal buffer, valid until the next call).
    /// </summary>
    ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens);

    /// <summary>
    /// Appends one token and returns the next-token logits ([V], internal buffer, valid until the next call).
    /// Allocates nothing.
    /// </summary>
    ReadOnlySpan<float> Decode(int token);

    /// <summary>
    /// Appends <paramref name="tokens"/> and writes the logits at every one of them into <paramref name="logits"/>
    /// ([T, V] row-major); for tests and scoring.
    /// </summary>
    void Forward(ReadOnlySpan<int> tokens, Span<float> logits);

    /// <summary>
    /// A new, empty KV cache shaped for this model with room for <see cref="ContextLength"/> tokens, for
    /// <see cref="Prefill(KvCache, ReadOnlySpan{int})"/> and <see cref="DecodeBatch"/>. Owned by the caller.
    /// </summary>
    KvCache CreateCache();

    /// <summary>
    /// Appends <paramref name="tokens"/> to the sequence held in <paramref name="cache"/> (from <see cref="CreateCache"/>)
    /// and returns the logits after the last one ([V], internal buffer, valid until the next call).
    /// </summary>
    ReadOnlySpan<float> Prefill(KvCache cache, ReadOnlySpan<int> tokens);

    /// <summary>
    /// One decode step for B = <paramref name="tokens"/>.Length sequences (1 ≤ B ≤ <see cref="BatchSize"/>): token b is
    /// appended to the sequence in <paramref name="caches"/>[b] (distinct caches from <see cref="CreateCache"/>), and
    /// its next-token logits are written to <paramref name="logits"/> row b ([B, V] row-major). Every weight matrix is
    /// read once for all B rows. Allocates nothing.
    /// </summary>
    void DecodeBatch(ReadOnlySpan<int> tokens, ReadOnlySpan<KvCache> caches, Span<float> logits);
}
