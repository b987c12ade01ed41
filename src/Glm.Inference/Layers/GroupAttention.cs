using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Glm.Kernels.Ops;

namespace Glm.Inference.Layers;

/// <summary>
/// Attention of the query heads that share one KV head (grouped-query attention, glm-spec §2.3) in one pass over the
/// cached positions: each key row is loaded once and dotted with every query of the pass, each value row is loaded
/// once and added, scaled, into every head's output, while the softmax runs online per head (blocks of
/// <see cref="Block"/> keys, a running maximum and sum per head, as flash attention does). Up to <see cref="Width"/>
/// heads share a pass, their dot products and outputs held in separate registers; a head's arithmetic never depends
/// on which other heads share its pass, so its output is the same bits however the heads are chunked (batched decode
/// relies on that to match single decode). Hand-written AVX-512 loops when D is a multiple of 16; other D, or a CPU
/// without AVX-512, go head by head through <see cref="AttendHead"/>. Allocates nothing; stateless.
/// </summary>
internal static class GroupAttention
{
    /// <summary>Keys per softmax block: the scores of one block for every head of a pass sit on the stack.</summary>
    public const int Block = 256;

    /// <summary>
    /// Heads per pass: four dot-product (or output) accumulators and the shared key (or value) register.
    /// </summary>
    private const int Width = 4;

    /// <summary>
    /// Query heads per work item when <paramref name="groups"/> (tokens or sequences × KV heads) groups of
    /// <paramref name="group"/> heads are split across <paramref name="threads"/> threads: whole groups (each K/V row
    /// read once) when there are at least two items per thread, else halved until there are or a head is alone, so
    /// that a single decode step with one or two KV heads still gives every thread work.
    /// </summary>
    public static int HeadsPerItem(int groups, int group, int threads)
    {
        int heads = group;
        while (heads > 1 && (long)groups * ((group + heads - 1) / heads) < 2L * threads)
        {
            heads = (heads + 1) / 2;
        }
        return heads;
    }

    /// <summary>
    /// <paramref name="heads"/> query heads over the first <paramref name="n"/> cached positions:
    /// <c>output[i] = softmax(q[i]·K·scale)·V</c> for q: [heads, D] and output: [heads, D], where position j's key
    /// and value are the D floats at <c>j * kvRow + offset</c> of <paramref name="keys"/> and <paramref name="values"/>.
    /// </summary>
    [SkipLocalsInit]
    public static void Attend(ReadOnlySpan<float> q, int heads, float[] keys, float[] values, int n, int kvRow,
        int offset, float scale, Span<float> output)
    {
        int d = q.Length / heads;
        if (!Vector512.IsHardwareAccelerated || d % Vector512<float>.Count != 0)
        {
            Span<float> block = stackalloc float[Block];
            for (int h = 0; h < heads; h++)
            {
                AttendHead(q.Slice(h * d, d), keys, values, n, kvRow, offset, scale, block, output.Slice(h * d, d));
            }
            return;
        }
        Span<float> scores = stackalloc float[Width * Block];
        for (int h = 0; h < heads; h += Width)
        {
            int w = Math.Min(Width, heads - h);
            ReadOnlySpan<float> qs = q.Slice(h * d, w * d);
            Span<float> os = output.Slice(h * d, w * d);
            switch (w)
            {
                case 4: Pass<Four>(qs, keys, values, n, kvRow, offset, scale, scores, os); break;
                case 3: Pass<Three>(qs, keys, values, n, kvRow, offset, scale, scores, os); break;
                case 2: Pass<Two>(qs, keys, values, n, kvRow, offset, scale, scores, os); break;
                default: Pass<One>(qs, keys, values, n, kvRow, offset, scale, scores, os); break;
            }
        }
    }

    /// <summary>
    /// One query head by <see cref="TensorPrimitives"/> calls, in blocks of <c>block.Length</c> keys: the path for a D
    /// that is not a multiple of 16 or a CPU without AVX-512. Same contract as <see cref="Attend"/> for one head.
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
            Softmax(s, ref max, ref sum, output);
            for (int k = 0; k < s.Length; k++)
            {
                Elementwise.AddScaled(values.AsSpan((j0 + k) * kvRow + offset, d), s[k], output);
            }
        }
        Elementwise.Scale(output, 1f / sum, output);
    }

    /// <summary>
    /// W = <typeparamref name="TWidth"/> heads (q, output: [W, D]) over n positions; scores: [W, Block] scratch.
    /// </summary>
    private static void Pass<TWidth>(ReadOnlySpan<float> q, float[] keys, float[] values, int n, int kvRow, int offset,
        float scale, Span<float> scores, Span<float> output) where TWidth : struct, IWidth
    {
        int w = TWidth.Count, d = q.Length / w;
        output.Clear();
        Span<float> max = stackalloc float[Width], sum = stackalloc float[Width];
        max.Fill(float.NegativeInfinity);
        sum.Clear();
        for (int j0 = 0; j0 < n; j0 += Block)
        {
            int len = Math.Min(Block, n - j0);
            Scores<TWidth>(q, d, keys, (nint)j0 * kvRow + offset, kvRow, len, scale, scores);
            for (int i = 0; i < w; i++)
            {
                Softmax(scores.Slice(i * Block, len), ref max[i], ref sum[i], output.Slice(i * d, d));
            }
            Accumulate<TWidth>(scores, values, (nint)j0 * kvRow + offset, kvRow, len, output, d);
        }
        for (int i = 0; i < w; i++)
        {
            Elementwise.Scale(output.Slice(i * d, d), 1f / sum[i], output.Slice(i * d, d));
        }
    }

    /// <summary>
    /// One block's scores s (scaled dot products) to probabilities exp(s − max), with the running maximum and sum
    /// updated and the output accumulated so far rescaled when the maximum grows.
    /// </summary>
    private static void Softmax(Span<float> s, ref float max, ref float sum, Span<float> output)
    {
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
    }

    /// <summary>
    /// scores[i·Block + k] = q[i]·K[k]·scale for the len key rows starting at element <paramref name="first"/> of
    /// <paramref name="keys"/>, <paramref name="kvRow"/> apart; each 16-float slice of a key is loaded once for all
    /// heads. Multiply, then add, unfused, as <see cref="TensorPrimitives.Dot"/> does: FMA moved a tiny model's
    /// attention output by an ulp that turned a Q8_K activation rounding and broke parity with llama.cpp.
    /// </summary>
    private static void Scores<TWidth>(ReadOnlySpan<float> q, int d, float[] keys, nint first, int kvRow, int len,
        float scale, Span<float> scores) where TWidth : struct, IWidth
    {
        ref float qr = ref MemoryMarshal.GetReference(q);
        ref float kr = ref MemoryMarshal.GetArrayDataReference(keys);
        ref float sr = ref MemoryMarshal.GetReference(scores);
        int w = TWidth.Count;
        for (int k = 0; k < len; k++)
        {
            nint row = first + (nint)k * kvRow;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int c = 0; c < d; c += Vector512<float>.Count)
            {
                Vector512<float> key = Vector512.LoadUnsafe(ref kr, (nuint)(row + c));
                a0 += Vector512.LoadUnsafe(ref qr, (nuint)c) * key;
                if (w > 1) a1 += Vector512.LoadUnsafe(ref qr, (nuint)(d + c)) * key;
                if (w > 2) a2 += Vector512.LoadUnsafe(ref qr, (nuint)(2 * d + c)) * key;
                if (w > 3) a3 += Vector512.LoadUnsafe(ref qr, (nuint)(3 * d + c)) * key;
            }
            Unsafe.Add(ref sr, k) = Vector512.Sum(a0) * scale;
            if (w > 1) Unsafe.Add(ref sr, Block + k) = Vector512.Sum(a1) * scale;
            if (w > 2) Unsafe.Add(ref sr, 2 * Block + k) = Vector512.Sum(a2) * scale;
            if (w > 3) Unsafe.Add(ref sr, 3 * Block + k) = Vector512.Sum(a3) * scale;
        }
    }

    /// <summary>
    /// output[i] += Σ_k p[i][k]·V[k] for the len value rows starting at element <paramref name="first"/> of
    /// <paramref name="values"/>, p: [W, Block] probabilities. Each 16-float slice of the output stays in a register
    /// over the block's keys, and each slice of a value row is loaded once for all heads.
    /// </summary>
    private static void Accumulate<TWidth>(Span<float> p, float[] values, nint first, int kvRow, int len,
        Span<float> output, int d) where TWidth : struct, IWidth
    {
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float vr = ref MemoryMarshal.GetArrayDataReference(values);
        ref float outr = ref MemoryMarshal.GetReference(output);
        int w = TWidth.Count;
        for (int c = 0; c < d; c += Vector512<float>.Count)
        {
            Vector512<float> o0 = Vector512.LoadUnsafe(ref outr, (nuint)c), o1 = default, o2 = default, o3 = default;
            if (w > 1) o1 = Vector512.LoadUnsafe(ref outr, (nuint)(d + c));
            if (w > 2) o2 = Vector512.LoadUnsafe(ref outr, (nuint)(2 * d + c));
            if (w > 3) o3 = Vector512.LoadUnsafe(ref outr, (nuint)(3 * d + c));
            nint row = first + c;
            for (int k = 0; k < len; k++, row += kvRow)
            {
                Vector512<float> value = Vector512.LoadUnsafe(ref vr, (nuint)row);
                ref float pk = ref Unsafe.Add(ref pr, k);
                o0 = Vector512.FusedMultiplyAdd(value, Vector512.Create(pk), o0);
                if (w > 1) o1 = Vector512.FusedMultiplyAdd(value, Vector512.Create(Unsafe.Add(ref pk, Block)), o1);
                if (w > 2) o2 = Vector512.FusedMultiplyAdd(value, Vector512.Create(Unsafe.Add(ref pk, 2 * Block)), o2);
                if (w > 3) o3 = Vector512.FusedMultiplyAdd(value, Vector512.Create(Unsafe.Add(ref pk, 3 * Block)), o3);
            }
            o0.StoreUnsafe(ref outr, (nuint)c);
            if (w > 1) o1.StoreUnsafe(ref outr, (nuint)(d + c));
            if (w > 2) o2.StoreUnsafe(ref outr, (nuint)(2 * d + c));
            if (w > 3) o3.StoreUnsafe(ref outr, (nuint)(3 * d + c));
        }
    }

    /// <summary>Heads in a pass as a type, so the JIT compiles each width with its unused accumulators removed.</summary>
    private interface IWidth
    {
        static abstract int Count { get; }
    }

    private readonly struct One : IWidth
    {
        public static int Count => 1;
    }

    private readonly struct Two : IWidth
    {
        public static int Count => 2;
    }

    private readonly struct Three : IWidth
    {
        public static int Count => 3;
    }

    private readonly struct Four : IWidth
    {
        public static int Count => 4;
    }
}
