using System.Numerics.Tensors;
using Glm.Kernels.Ops;
using Glm.Kernels.Threading;

namespace Glm.Inference.Layers;

/// <summary>
/// Causal grouped-query attention over a <see cref="KvCache"/> layer (glm-spec §2.3, §2.8), optionally with a
/// bidirectional prefix (the original GLM's Part A, §1.1): for token t at position
/// p = start + t and query head h, <c>ctx[t][h] = softmax_j(q·K[j][g]/√D) · V[j][g]</c> over j ≤ p, with KV group
/// g = h / (H/Hkv). The softmax runs over blocks of keys with a running maximum (as flash attention does), so no
/// buffer grows with the context. Rows (t, h) are split across a <see cref="WorkerPool"/>. Create once per model;
/// <see cref="Run"/> allocates nothing. Not thread-safe.
/// </summary>
internal sealed class CausalAttention : IRowJob
{
    private const int Block = 256;

    private readonly int _heads, _kvHeads, _headDim;
    private readonly float _scale;
    private float[] _qkv = [], _keys = [], _values = [], _ctx = [];
    private int _qkvStride, _start, _prefix;

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
        pool.Run(this, tokens * _heads, 1);
    }

    public void Execute(int startRow, int endRow)
    {
        int d = _headDim, kvRow = _kvHeads * d, group = _heads / _kvHeads;
        Span<float> block = stackalloc float[Block];
        for (int i = startRow; i < endRow; i++)
        {
            int t = i / _heads, h = i % _heads, g = h / group, n = Math.Max(_start + t + 1, _prefix);
            ReadOnlySpan<float> q = _qkv.AsSpan(t * _qkvStride + h * d, d);
            Span<float> output = _ctx.AsSpan(t * _heads * d + h * d, d);
            AttendHead(q, _keys, _values, n, kvRow, g * d, _scale, block, output);
        }
    }

    /// <summary>
    /// One query head over the first <paramref name="n"/> cached positions, by online softmax in blocks of
    /// <c>block.Length</c>: output[D] = softmax(q·K·scale)·V, where position j's key and value are the D floats at
    /// <c>j * kvRow + offset</c> of <paramref name="keys"/> and <paramref name="values"/>. Allocates nothing.
    /// </summary>
    internal static void AttendHead(ReadOnlySpan<float> q, float[] keys, float[] values, int n, int kvRow, int offset,
        float scale, Span<float> block, Span<float> output)
    {
        int d = q.Length;
        output.Clear();
        float max = float.NegativeInfinity, sum = 0;
        for (int j0 = 0; j0 < n; j0 += block.Length)
        {
            Span<float> s = block[..Math.Min(block.Length, n - j0)];
            for (int k = 0; k < s.Length; k++)
            {
                s[k] = TensorPrimitives.Dot(q, keys.AsSpan((j0 + k) * kvRow + offset, d)) * scale;
            }
            float newMax = MathF.Max(max, TensorPrimitives.Max(s));
            if (newMax > max && sum > 0)
            {
                float rescale = MathF.Exp(max - newMax);
                Elementwise.Scale(output, rescale, output);
                sum *= rescale;
            }
            max = newMax;
            TensorPrimitives.Subtract(s, max, s);
            TensorPrimitives.Exp(s, s);
            sum += TensorPrimitives.Sum(s);
            for (int k = 0; k < s.Length; k++)
            {
                Elementwise.AddScaled(values.AsSpan((j0 + k) * kvRow + offset, d), s[k], output);
            }
        }
        Elementwise.Scale(output, 1f / sum, output);
    }
}
