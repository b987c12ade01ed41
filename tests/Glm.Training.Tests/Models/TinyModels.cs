using Glm.Core.Configs;
using Glm.Training.Models;
using static TorchSharp.torch;

namespace Glm.Training.Tests.Models;

/// <summary>Tiny configs, random weights and tensor conversions shared by the model tests.</summary>
internal static class TinyModels
{
    /// <summary>
    /// ChatGLM with D = 16, so RoPE rotates 8 dims at 4 frequencies (a wrong base or pairing shows), GQA 4 heads on
    /// 2 KV groups, rope_ratio 3 (base 30000) and a vocabulary that matches no other size.
    /// </summary>
    public static ChatGlmConfig ChatGlm(bool tieWordEmbeddings = false, bool addQkvBias = true, bool multiQuery = true) => new()
    {
        PaddedVocabSize = 37,
        HiddenSize = 64,
        NumLayers = 2,
        NumAttentionHeads = 4,
        KvChannels = 16,
        MultiQueryAttention = multiQuery,
        MultiQueryGroupNum = 2,
        FfnHiddenSize = 48,
        SeqLength = 64,
        RopeRatio = 3.0,
        AddQkvBias = addQkvBias,
        TieWordEmbeddings = tieWordEmbeddings,
    };

    /// <summary>GLM with 4 heads of 8 dims, positions up to 16, MLP width 4·32 = 128.</summary>
    public static GlmConfig Glm(bool blockPositionEncoding = true) => new()
    {
        VocabSize = 29,
        HiddenSize = 32,
        NumLayers = 2,
        NumAttentionHeads = 4,
        MaxSequenceLength = 16,
        BlockPositionEncoding = blockPositionEncoding,
    };

    /// <summary>
    /// Random values for every weight of <paramref name="model"/>, far from the 0.02 init so that every part of the
    /// forward pass moves the logits: embeddings U(±1), other matrices U(±√(3/fan_in)) (unit-variance outputs),
    /// norm weights 1 ± 0.3, biases ± 0.3.
    /// </summary>
    public static Dictionary<string, (long[] Shape, float[] Data)> RandomWeights(IGlmLanguageModel model, int seed)
    {
        var random = new Random(seed);
        var weights = new Dictionary<string, (long[] Shape, float[] Data)>();
        foreach (var (name, value) in model.NamedWeights()) {
            long[] shape = value.shape;
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            Func<double> draw = name switch
            {
                _ when name.EndsWith("layernorm.weight") => () => 1 + 0.3 * (2 * random.NextDouble() - 1),
                _ when name.EndsWith(".bias") => () => 0.3 * (2 * random.NextDouble() - 1),
                _ when name.Contains("embeddings") => () => 2 * random.NextDouble() - 1,
                _ => () => Math.Sqrt(3.0 / shape[1]) * (2 * random.NextDouble() - 1),
            };
            for (int i = 0; i < data.Length; i++) data[i] = (float)draw();
            weights[name] = (shape, data);
        }
        return weights;
    }

    /// <summary>Just the values, for the scalar references.</summary>
    public static Dictionary<string, float[]> Values(Dictionary<string, (long[] Shape, float[] Data)> weights) =>
        weights.ToDictionary(kv => kv.Key, kv => kv.Value.Data);

    /// <summary>An int64 (B, T) tensor from B rows of equal length.</summary>
    public static Tensor Int64(long[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    /// <summary>Random token ids in [0, vocab), B rows of T.</summary>
    public static long[][] RandomIds(int seed, int B, int T, int vocab)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, B).Select(_ => Enumerable.Range(0, T).Select(_ => (long)random.Next(vocab)).ToArray())];
    }

    /// <summary>The logits of a (B, T, V) tensor as [b][t][v].</summary>
    public static float[][][] ToArray(Tensor logits)
    {
        long B = logits.shape[0], T = logits.shape[1], V = logits.shape[2];
        var flat = logits.detach().contiguous().data<float>().ToArray();
        return [.. Enumerable.Range(0, (int)B).Select(b => Enumerable.Range(0, (int)T)
            .Select(t => flat.AsSpan((int)((b * T + t) * V), (int)V).ToArray()).ToArray())];
    }

    /// <summary>Largest |a − b| over one position's logits.</summary>
    public static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    /// <summary>Largest |model − reference| over all logits.</summary>
    public static double MaxAbsDiff(float[][][] model, double[][][] reference)
    {
        double max = 0;
        for (int b = 0; b < model.Length; b++)
            for (int t = 0; t < model[b].Length; t++)
                for (int v = 0; v < model[b][t].Length; v++)
                    max = Math.Max(max, Math.Abs(model[b][t][v] - reference[b][t][v]));
        return max;
    }
}
