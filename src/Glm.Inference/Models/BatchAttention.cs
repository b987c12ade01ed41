using Glm.Inference.Layers;
using Glm.Kernels.Threading;

namespace Glm.Inference.Models;

/// <summary>
/// Causal grouped-query attention for a batched decode step: row b is the newest token of its own sequence, whose keys
/// and values (already appended) sit in <c>caches[b]</c> at positions 0 .. Length. For query head h,
/// <c>ctx[b][h] = softmax_j(q·K[j][g]/√D) · V[j][g]</c> over j ≤ Length with g = h / (H/Hkv), in blocks of keys with a
/// running maximum, with the heads of a KV group in one pass (<see cref="GroupAttention"/>, as
/// <see cref="Layers.CausalAttention"/> does, so each head gets the same bits as in single decode). Items (b, g, part
/// of g's heads) are split across a <see cref="WorkerPool"/>, in chunks big enough that a tiny step runs on the calling
/// thread alone. Create once per model; <see cref="Run"/> allocates nothing. Not thread-safe.
/// </summary>
internal sealed class BatchAttention : IRowJob
{
    /// <summary>Multiply-adds worth handing to another thread: below this a chunk runs inline (a wake-up costs more).</summary>
    private const long MinChunkWork = 32 * 1024;

    private readonly int _heads, _kvHeads, _headDim;
    private readonly float _scale;
    private readonly KvCache[] _caches;
    private float[] _q = [], _ctx = [];
    private int _qStride, _layer, _headsPerItem, _parts;

    public BatchAttention(int heads, int kvHeads, int headDim, int maxRows)
    {
        _heads = heads;
        _kvHeads = kvHeads;
        _headDim = headDim;
        _scale = 1f / MathF.Sqrt(headDim);
        _caches = new KvCache[maxRows];
    }

    /// <summary>
    /// q: [B, qStride] with the H·D query values (after RoPE) at the start of each row; caches: B sequences whose
    /// <see cref="KvCache.Length"/> is the position of row b's token, already written at that position in
    /// <paramref name="layer"/>; ctx: [B, H·D] output.
    /// </summary>
    public void Run(WorkerPool pool, float[] q, int qStride, ReadOnlySpan<KvCache> caches, int layer, float[] ctx)
    {
        caches.CopyTo(_caches);
        _q = q;
        _qStride = qStride;
        _layer = layer;
        _ctx = ctx;
        long keys = 0;
        foreach (KvCache cache in caches) keys += cache.Length + 1;
        long work = keys * _heads * _headDim * 2;
        int group = _heads / _kvHeads;
        _headsPerItem = GroupAttention.HeadsPerItem(caches.Length * _kvHeads, group, pool.ThreadCount);
        _parts = (group + _headsPerItem - 1) / _headsPerItem;
        int items = caches.Length * _kvHeads * _parts;
        int minChunk = (int)Math.Clamp(MinChunkWork * items / Math.Max(1, work), 1, items);
        pool.Run(this, items, minChunk);
        _caches.AsSpan(0, caches.Length).Clear();
    }

    /// <summary>
    /// Throws unless <paramref name="cache"/> is shaped for a model of <paramref name="layers"/> layers, Hkv·D =
    /// <paramref name="rowSize"/>, context <paramref name="contextLength"/>, and has room for <paramref name="tokens"/> more.
    /// </summary>
    public static void CheckCache(KvCache cache, int layers, int rowSize, int contextLength, int tokens)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.Layers != layers || cache.RowSize != rowSize || cache.Capacity > contextLength)
        {
            throw new ArgumentException("The KV cache was not made by this model's CreateCache.", nameof(cache));
        }
        if (cache.Length + tokens > cache.Capacity)
        {
            throw new Core.GlmException($"the sequence would hold {cache.Length + tokens} tokens; the context holds {cache.Capacity}");
        }
    }

    /// <summary>Throws unless a batched decode step's arguments agree: B tokens, B distinct caches, [B, V] logits.</summary>
    public static void CheckBatch(ReadOnlySpan<int> tokens, ReadOnlySpan<KvCache> caches, Span<float> logits, int vocab, int batchSize)
    {
        int b = tokens.Length;
        if (b == 0 || b > batchSize)
        {
            throw new ArgumentException($"A decode step takes 1 to {batchSize} sequences.", nameof(tokens));
        }
        if (caches.Length != b)
        {
            throw new ArgumentException("One cache per token is needed.", nameof(caches));
        }
        if (logits.Length < (long)b * vocab)
        {
            throw new ArgumentException($"logits must hold {b}·{vocab} values.", nameof(logits));
        }
        for (int i = 1; i < b; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (ReferenceEquals(caches[i], caches[j]))
                {
                    throw new ArgumentException("Each sequence in a step needs its own cache.", nameof(caches));
                }
            }
        }
    }

    /// <summary>
    /// Item i is sequence b, KV group g and part p of g's heads: query heads g·group + p·headsPerItem onward, at most
    /// headsPerItem of them, attended by <see cref="GroupAttention.Attend"/> exactly as single decode attends them.
    /// </summary>
    public void Execute(int startRow, int endRow)
    {
        int d = _headDim, kvRow = _kvHeads * d, group = _heads / _kvHeads;
        for (int i = startRow; i < endRow; i++)
        {
            int b = i / (_kvHeads * _parts), g = i / _parts % _kvHeads, first = i % _parts * _headsPerItem;
            int count = Math.Min(_headsPerItem, group - first), h = g * group + first;
            KvCache cache = _caches[b];
            ReadOnlySpan<float> q = _q.AsSpan(b * _qStride + h * d, count * d);
            Span<float> output = _ctx.AsSpan((b * _heads + h) * d, count * d);
            GroupAttention.Attend(q, count, cache.Keys[_layer], cache.Values[_layer], cache.Length + 1, kvRow, g * d,
                _scale, output);
        }
    }
}
