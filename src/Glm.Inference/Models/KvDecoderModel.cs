using Glm.Inference.Layers;
using Glm.Inference.Loading;
using Glm.Kernels.Dot;
using Glm.Kernels.Ops;

namespace Glm.Inference.Models;

/// <summary>
/// What every decoder with a KV cache shares behind <see cref="IDecoderModel"/>: its own cache, prompts run in batches
/// of up to <see cref="BatchSize"/> tokens, single and batched decode steps, and the final norm and output layer. A
/// model supplies one step over T rows (<see cref="Batch"/>). The last-logits buffer is allocated here, once, so a
/// decode step allocates nothing. Not thread-safe: one call at a time.
/// </summary>
public abstract class KvDecoderModel : IDecoderModel
{
    private readonly int _layers, _kvHeads, _headDim;
    private readonly float[] _logits;
    private readonly KvCache[] _ownCache;

    /// <param name="contextLength">Tokens a cache holds (positive: the caller has already chosen a default).</param>
    /// <param name="batchSize">Most rows of one step; capped at <paramref name="contextLength"/>.</param>
    protected KvDecoderModel(int layers, int kvHeads, int headDim, int vocabSize, int contextLength, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextLength);
        (_layers, _kvHeads, _headDim) = (layers, kvHeads, headDim);
        ContextLength = contextLength;
        BatchSize = Math.Min(batchSize, contextLength);
        VocabSize = vocabSize;
        _logits = new float[vocabSize];
        Cache = CreateCache();
        _ownCache = [Cache];
    }

    /// <inheritdoc/>
    public int ContextLength { get; }

    /// <inheritdoc/>
    public int BatchSize { get; }

    /// <inheritdoc/>
    public int VocabSize { get; }

    /// <inheritdoc/>
    public KvCache Cache { get; }

    /// <inheritdoc/>
    public void Reset() => Cache.Clear();

    /// <inheritdoc/>
    public KvCache CreateCache() => new(_layers, ContextLength, _kvHeads, _headDim);

    /// <inheritdoc/>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens) => Prefill(Cache, tokens);

    /// <inheritdoc/>
    public ReadOnlySpan<float> Prefill(KvCache cache, ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("At least one token is needed.", nameof(tokens));
        }
        Run(cache, tokens, allLogits: default);
        return _logits;
    }

    /// <inheritdoc/>
    public ReadOnlySpan<float> Decode(int token)
    {
        BatchAttention.CheckCache(Cache, _layers, _kvHeads * _headDim, ContextLength, 1);
        Batch(new ReadOnlySpan<int>(in token), null, _ownCache, _logits, allRows: true);
        return _logits;
    }

    /// <inheritdoc/>
    public void DecodeBatch(ReadOnlySpan<int> tokens, ReadOnlySpan<KvCache> caches, Span<float> logits)
    {
        BatchAttention.CheckBatch(tokens, caches, logits, VocabSize, BatchSize);
        foreach (KvCache cache in caches)
        {
            BatchAttention.CheckCache(cache, _layers, _kvHeads * _headDim, ContextLength, 1);
        }
        Batch(tokens, null, caches, logits[..(tokens.Length * VocabSize)], allRows: true);
    }

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        if (logits.Length < (long)tokens.Length * VocabSize)
        {
            throw new ArgumentException($"logits must hold {tokens.Length}·{VocabSize} values.", nameof(logits));
        }
        Run(Cache, tokens, logits);
    }

    private void Run(KvCache cache, ReadOnlySpan<int> tokens, Span<float> allLogits)
    {
        int v = VocabSize;
        BatchAttention.CheckCache(cache, _layers, _kvHeads * _headDim, ContextLength, tokens.Length);
        for (int i = 0; i < tokens.Length; i += BatchSize)
        {
            int n = Math.Min(BatchSize, tokens.Length - i);
            Span<float> rows = allLogits.IsEmpty ? default : allLogits.Slice(i * v, n * v);
            bool last = i + n == tokens.Length;
            Batch(tokens.Slice(i, n), cache, default, !rows.IsEmpty ? rows : last ? _logits : default, allRows: !rows.IsEmpty);
            if (last && !rows.IsEmpty)
            {
                rows.Slice((n - 1) * v, v).CopyTo(_logits);
            }
        }
    }

    /// <summary>
    /// One step of T rows. With <paramref name="sequence"/>, the rows are T consecutive tokens of that sequence, at
    /// positions Length .. Length + T − 1 (a prompt batch); otherwise row t is the next token of the sequence in
    /// <paramref name="rows"/>[t], at position rows[t].Length (a batched decode step). <paramref name="logits"/> gets
    /// every row's logits ([T, V]) when <paramref name="allRows"/>, else the last row's ([V]), or nothing when empty.
    /// Ends with <see cref="Advance"/> and <see cref="WriteLogits"/>.
    /// </summary>
    protected abstract void Batch(ReadOnlySpan<int> tokens, KvCache? sequence, ReadOnlySpan<KvCache> rows, Span<float> logits, bool allRows);

    /// <summary>Moves the caches past the step's tokens: the sequence by T, or each batched row's cache by one.</summary>
    protected static void Advance(KvCache? sequence, ReadOnlySpan<KvCache> rows, int tokens)
    {
        if (sequence is not null)
        {
            sequence.Length += tokens;
            return;
        }
        foreach (KvCache cache in rows)
        {
            cache.Length++;
        }
    }

    /// <summary>
    /// Final RMSNorm and output layer over the hidden rows <paramref name="x"/> ([T, C]; <paramref name="a"/> is [T, C]
    /// scratch): every row's logits, or the last row's, or none (see <see cref="Batch"/>).
    /// </summary>
    protected static void WriteLogits(MatMul matMul, float[] finalNorm, float eps, in WeightTensor output, Span<byte> scratch,
        Span<float> x, Span<float> a, int T, int c, Span<float> logits, bool allRows)
    {
        if (allRows)
        {
            RmsNormRows.Apply(x, finalNorm, eps, a, T, c);
            Linear.Apply(matMul, output, a, T, logits, null, scratch);
        }
        else if (!logits.IsEmpty)
        {
            Span<float> h = a[..c];
            Elementwise.RmsNorm(x.Slice((T - 1) * c, c), finalNorm, eps, h);
            Linear.Apply(matMul, output, h, 1, logits, null, scratch);
        }
    }
}
