using Glm.Inference.Layers;
using Glm.Kernels.Threading;

namespace Glm.Inference.Tests;

public sealed class CausalAttentionTests
{
    /// <summary>F32, same math in another order (blocked running-max softmax vs one pass).</summary>
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(1, 0, 1)]
    [InlineData(2, 255, 3)]
    [InlineData(2, 600, 4)] // keys span three 256-key blocks: the running maximum is rescaled
    [InlineData(2, 300, 1)] // one token, two KV heads, two threads: each group's heads are split across items
    public void Blocked_softmax_matches_a_plain_softmax(int threads, int start, int tokens)
    {
        const int H = 4, Hkv = 2, D = 16;
        int qkvStride = (H + 2 * Hkv) * D, n = start + tokens, kvRow = Hkv * D;
        var random = new Random(start + tokens);
        float[] Fill(int count, float scale) => [.. Enumerable.Range(0, count).Select(_ => (float)(scale * (2 * random.NextDouble() - 1)))];
        float[] qkv = Fill(tokens * qkvStride, 3), keys = Fill(n * kvRow, 3), values = Fill(n * kvRow, 1);
        var ctx = new float[tokens * H * D];
        using var pool = new WorkerPool(threads);
        new CausalAttention(H, Hkv, D).Run(pool, qkv, qkvStride, keys, values, start, tokens, ctx);

        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < H; h++)
            {
                int g = h / (H / Hkv), visible = start + t + 1;
                var scores = new double[visible];
                for (int j = 0; j < visible; j++)
                {
                    double dot = 0;
                    for (int k = 0; k < D; k++) dot += qkv[t * qkvStride + h * D + k] * keys[j * kvRow + g * D + k];
                    scores[j] = dot / Math.Sqrt(D);
                }
                double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                for (int k = 0; k < D; k++)
                {
                    double expected = 0;
                    for (int j = 0; j < visible; j++) expected += Math.Exp(scores[j] - max) / sum * values[j * kvRow + g * D + k];
                    Assert.True(Math.Abs(expected - ctx[t * H * D + h * D + k]) < Tolerance, $"t {t} h {h} k {k}: {expected} vs {ctx[t * H * D + h * D + k]}");
                }
            }
        }
    }

    public static TheoryData<int, int, int> GroupShapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int d in new[] { 64, 128, 40 })
        {
            foreach (int n in new[] { 1, 7, 256, 600 })
            {
                foreach (int heads in new[] { 1, 2, 8 })
                {
                    data.Add(d, n, heads);
                }
            }
        }
        return data;
    }

    /// <summary>
    /// The grouped kernel against softmax(q·K/√D)·V in doubles, for D on the AVX-512 path (64, 128) and off it (40),
    /// one key to more than two blocks, and 1, 2 and 8 query heads sharing the KV head.
    /// </summary>
    [Theory]
    [MemberData(nameof(GroupShapes))]
    public void Grouped_kernel_matches_a_double_precision_softmax(int d, int n, int heads)
    {
        const int Hkv = 2, G = 1;
        int kvRow = Hkv * d;
        var random = new Random(d * 1000 + n * 10 + heads);
        float[] Fill(int count, float scale) => [.. Enumerable.Range(0, count).Select(_ => (float)(scale * (2 * random.NextDouble() - 1)))];
        float[] q = Fill(heads * d, 2), keys = Fill(n * kvRow, 2), values = Fill(n * kvRow, 1);
        var output = new float[heads * d];
        GroupAttention.Attend(q, heads, keys, values, n, kvRow, G * d, 1f / MathF.Sqrt(d), output);

        for (int h = 0; h < heads; h++)
        {
            var scores = new double[n];
            for (int j = 0; j < n; j++)
            {
                double dot = 0;
                for (int k = 0; k < d; k++) dot += (double)q[h * d + k] * keys[j * kvRow + G * d + k];
                scores[j] = dot / Math.Sqrt(d);
            }
            double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
            for (int k = 0; k < d; k++)
            {
                double expected = 0;
                for (int j = 0; j < n; j++) expected += Math.Exp(scores[j] - max) / sum * values[j * kvRow + G * d + k];
                Assert.True(Math.Abs(expected - output[h * d + k]) < Tolerance, $"h {h} k {k}: {expected} vs {output[h * d + k]}");
            }
        }
    }

    /// <summary>
    /// A head's output is the same bits alone, in a pass of four, or in a chunk of three: batched decode chunks heads
    /// differently from single decode, and must still give the same logits.
    /// </summary>
    [Theory]
    [InlineData(64, 7)]
    [InlineData(128, 600)]
    [InlineData(40, 300)]
    public void A_head_gets_the_same_bits_however_the_heads_are_chunked(int d, int n)
    {
        const int Heads = 8;
        var random = new Random(d + n);
        float[] Fill(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(4 * random.NextDouble() - 2))];
        float[] q = Fill(Heads * d), keys = Fill(n * d), values = Fill(n * d);
        float scale = 1f / MathF.Sqrt(d);
        var together = new float[Heads * d];
        GroupAttention.Attend(q, Heads, keys, values, n, d, 0, scale, together);

        foreach (int chunk in new[] { 1, 2, 3, 5 })
        {
            var output = new float[Heads * d];
            for (int h = 0; h < Heads; h += chunk)
            {
                int count = Math.Min(chunk, Heads - h);
                GroupAttention.Attend(q.AsSpan(h * d, count * d), count, keys, values, n, d, 0, scale,
                    output.AsSpan(h * d, count * d));
            }
            for (int i = 0; i < output.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(together[i]) == BitConverter.SingleToInt32Bits(output[i]),
                    $"chunk {chunk}, head {i / d}, element {i % d}: {together[i]} vs {output[i]}");
            }
        }
    }

    [Theory]
    [InlineData(1, 8, 1)]
    [InlineData(1, 8, 2)]
    [InlineData(2, 8, 2)]
    [InlineData(1, 2, 2)]
    [InlineData(8, 8, 2)]
    [InlineData(3, 1, 2)]
    public void Each_thread_gets_two_items_where_heads_allow(int groups, int group, int threads)
    {
        int heads = GroupAttention.HeadsPerItem(groups, group, threads);
        int items = groups * ((group + heads - 1) / heads);
        Assert.InRange(heads, 1, group);
        Assert.True(items >= 2 * threads || heads == 1, $"{items} items of {heads} heads");
        Assert.True(heads == group || groups * ((group + 2 * heads - 1) / (2 * heads)) < 2 * threads,
            $"{heads} heads an item where {2 * heads} would still give each thread two items");
    }
}

