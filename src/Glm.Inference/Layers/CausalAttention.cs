using Glm.Kernels.Threading;

namespace Glm.Inference.Layers;

/// <summary>
/// Causal grouped-query attention over a <see cref="KvCache"/> layer (glm-spec §2.3, §2.8), optionally with a
/// bidirectional prefix (the original GLM's Part A, §1.1): for token t at position
/// p = start + t and query head h, <c>ctx[t][h] = softmax_j(q·K[j][g]/√D) · V[j][g]</c> over j ≤ p, with KV group
/// g = h / (H/Hkv). The query heads of a KV group are attended in one pass over the keys (<see cref="GroupAttention"/>),
/// with the softmax over blocks of keys and a running maximum (as flash attention does), so no buffer grows with the
/// context. Items (t, g, part of g's heads) are split across a <see cref="WorkerPool"/>. Create once per model;
/// <see cref="Run"/> allocates nothing. Not thread-safe.
/// </summary>
internal sealed class CausalAttention : IRowJob
{
    private readonly int _heads, _kvHeads, _headDim;
    private readonly float _scale;
    private float[] _qkv = [], _keys = [], _values = [], _ctx = [];
    private int _qkvStride, _start, _prefix, _headsPerItem, _parts;

    public CausalAttention(int heads, int kvHeads, int headDim)
    {
        _heads = heads;
        _kvHeads = kvHeads;
        _headDim = headDim;
        _scale = 1f / MathF.Sqrt(headDim);
    }

    /// <summary>
    /// qkv: [T, qkvStride] with Q at the start of each row (H·D, after RoPE); keys/values: the layer's cache, already
    /// holding positions up to start + T − 1 (and up to <paramref name="prefixVisible"/> − 1); ctx: [T, H·D] output.
    /// Every query also sees the first <paramref name="prefixVisible"/> keys, so a prefix attends bidirectionally
    /// within itself (the original GLM's Part A); 0 is plain causal attention.
    /// </summary>
    public void Run(WorkerPool pool, float[] qkv, int qkvStride, float[] keys, float[] values, int start, int tokens, float[] ctx,
        int prefixVisible = 0)
    {
        _prefix = prefixVisible;
        _qkv = qkv;
        _qkvStride = qkvStride;
        _keys = keys;
        _values = values;
        _start = start;
        _ctx = ctx;
        int group = _heads / _kvHeads;
        _headsPerItem = GroupAttention.HeadsPerItem(tokens * _kvHeads, group, pool.ThreadCount);
        _parts = (group + _headsPerItem - 1) / _headsPerItem;
        pool.Run(this, tokens * _kvHeads * _parts, 1);
    }

    /// <summary>
    /// Item i is token t, KV group g and part p of g's heads: query heads g·group + p·headsPerItem onward, at most
    /// headsPerItem of them, attended in one pass over the cache by <see cref="GroupAttention.Attend"/>.
    /// </summary>
    public void Execute(int startRow, int endRow)
    {
        int d = _headDim, kvRow = _kvHeads * d, group = _heads / _kvHeads;
        for (int i = startRow; i < endRow; i++)
        {
            int t = i / (_kvHeads * _parts), g = i / _parts % _kvHeads, first = i % _parts * _headsPerItem;
            int count = Math.Min(_headsPerItem, group - first), h = g * group + first;
            int n = Math.Max(_start + t + 1, _prefix);
            ReadOnlySpan<float> q = _qkv.AsSpan(t * _qkvStride + h * d, count * d);
            Span<float> output = _ctx.AsSpan(t * _heads * d + h * d, count * d);
            GroupAttention.Attend(q, count, _keys, _values, n, kvRow, g * d, _scale, output);
        }
    }
}
