namespace Glm.Inference;

/// <summary>
/// Keys (after RoPE) and values of every layer for one sequence, F32, preallocated for <see cref="Capacity"/> tokens:
/// layer l, token t, KV group g lives at <c>[l][t·Hkv·D + g·D ..]</c>. <see cref="Length"/> tokens are valid. Owned by
/// one model instance (<see cref="Models.IDecoderModel.Cache"/>) or by the caller of
/// <see cref="Models.IDecoderModel.CreateCache"/>; not thread-safe.
/// </summary>
public sealed class KvCache
{
    public KvCache(int layers, int capacity, int kvHeads, int headDim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        RowSize = kvHeads * headDim;
        Keys = new float[layers][];
        Values = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            Keys[l] = new float[(long)capacity * RowSize];
            Values[l] = new float[(long)capacity * RowSize];
        }
    }

    /// <summary>Most tokens the cache holds.</summary>
    public int Capacity { get; }

    /// <summary>Hkv·D floats per token per layer.</summary>
    public int RowSize { get; }

    /// <summary>Tokens cached so far (the next token's position).</summary>
    public int Length { get; internal set; }

    /// <summary>Layers the cache holds.</summary>
    public int Layers => Keys.Length;

    internal float[][] Keys { get; }

    internal float[][] Values { get; }

    /// <summary>Forgets every cached token (the buffers are kept).</summary>
    public void Clear() => Length = 0;

    /// <summary>
    /// Replaces this cache's tokens with the first <paramref name="length"/> tokens of <paramref name="source"/> (a cache
    /// of the same shape): a prompt prefix another sequence computed is copied rather than computed again.
    /// </summary>
    public void CopyPrefix(KvCache source, int length)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Layers != Layers || source.RowSize != RowSize)
        {
            throw new ArgumentException("The source cache has another shape.", nameof(source));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Math.Min(source.Length, Capacity));
        long floats = (long)length * RowSize;
        for (int l = 0; l < Layers; l++)
        {
            Array.Copy(source.Keys[l], Keys[l], floats);
            Array.Copy(source.Values[l], Values[l], floats);
        }
        Length = length;
    }

    /// <summary>Keeps only the first <paramref name="length"/> tokens (e.g. a shared prompt prefix).</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        Length = length;
    }
}
