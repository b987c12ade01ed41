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
}
