using System.Diagnostics;
using Glm.Core.Configs;
using Xunit.Abstractions;
using Glm.Kernels.Quant;

namespace Glm.Inference.Tests;

/// <summary>
/// Decode speed on a small random GLM (C 512, 4 layers, 8 heads on 2 KV groups of 64, F 1408, V 8192; about 20M
/// parameters) written straight to GGUF, per weight type. Reports tokens/s; asserts only that decoding runs and that
/// its logits are finite.
/// </summary>
public sealed class DecodeSpeedTests(ITestOutputHelper output)
{
    private static readonly ChatGlmConfig Config = new ChatGlmConfig
    {
        PaddedVocabSize = 8192,
        HiddenSize = 512,
        NumLayers = 4,
        NumAttentionHeads = 8,
        KvChannels = 64,
        MultiQueryGroupNum = 2,
        FfnHiddenSize = 1408,
        SeqLength = 256,
        RopeRatio = 500,
        TorchDtype = "float32",
    }.Validate();

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    public void Decode_tokens_per_second(GgmlType type)
    {
        string path = Path.Combine(Path.GetTempPath(), $"glm-speed-{Guid.NewGuid():N}.gguf");
        try
        {
            SyntheticGguf.Write(path, Config, type);
            using var engine = new Engine(path, threads: Math.Min(Environment.ProcessorCount, 4), contextLength: 160);
            var model = engine.Model;
            var clock = Stopwatch.StartNew();
            model.Prefill(Enumerable.Range(1, 32).ToArray());
            double prefill = 32 / clock.Elapsed.TotalSeconds;
            for (int i = 0; i < 8; i++) model.Decode(100 + i); // warm-up
            clock.Restart();
            int steps = 0;
            ReadOnlySpan<float> logits = default;
            while (model.Cache.Length < model.ContextLength)
            {
                logits = model.Decode(200 + steps);
                steps++;
            }
            double decode = steps / clock.Elapsed.TotalSeconds;
            output.WriteLine($"{type}: prefill {prefill:F0} tokens/s, decode {decode:F1} tokens/s ({steps} steps, {engine.Pool.ThreadCount} threads)");
            Assert.True(float.IsFinite(logits[0]) && float.IsFinite(logits[^1]));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
