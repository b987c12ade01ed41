using Glm.Checkpoints.Gguf;
using Glm.LlamaCpp.Tests;
using Xunit.Abstractions;
using Glm.Kernels.Quant;

namespace Glm.Inference.Tests;

/// <summary>
/// Our engine and llama.cpp (LLamaSharp, F32 KV cache, no flash attention) on the same GGUF file compute the same
/// logits at every position and pick the same greedy tokens. For quantized files both sides quantize the activations
/// (Q8_0, or Q8_K for Q6_K) before each matmul, as ggml does.
/// </summary>
public sealed class LlamaCppParityTests(ITestOutputHelper output)
{
    /// <summary>F32 weights: only summation order differs. Observed max |diff| about 1.7e-6 (logits of order 1).</summary>
    private const float F32Tolerance = 1e-4f;

    /// <summary>
    /// F16 weights: llama.cpp rounds the activations to F16 before each F16 matmul, we keep them F32. Observed about 1.9e-3.
    /// </summary>
    private const float F16Tolerance = 1e-2f;

    /// <summary>BF16 weights: as F16, with 8 mantissa bits for llama.cpp's rounded activations. Observed about 1.9e-2.</summary>
    private const float BF16Tolerance = 0.1f;

    /// <summary>
    /// Q8_0 / Q4_0 weights with Q8_0 activations, Q6_K with Q8_K activations, on both sides: the integer dot products are
    /// the same, only float summation order (and, rarely, an activation quant rounded the other way) differs. Observed
    /// max |diff| about 2.4e-7 (Q8_0, Q4_0) and 6e-7 (Q6_K).
    /// </summary>
    private const float QuantTolerance = 5e-3f;

    [Theory]
    [InlineData("F32")]
    [InlineData("F16")]
    [InlineData("Q8_0")]
    [InlineData("Q4_0")]
    [InlineData("BF16")]
    public void Gguf_logits_and_greedy_tokens_match_llama_cpp(string type)
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(ropeRatio: 500, seed: 31);
        string gguf = Path.Combine(checkpoint.Folder, $"model-{type}.gguf");
        string f32 = Path.Combine(checkpoint.Folder, "model-F32.gguf");
        GgufConvert.HfToGguf(checkpoint.Folder, f32, GgmlType.F32, "tiny-chatglm");
        switch (type)
        {
            case "F16":
            case "BF16":
                GgufConvert.HfToGguf(checkpoint.Folder, gguf, Enum.Parse<GgmlType>(type), "tiny-chatglm");
                break;
            case "Q8_0":
                QuantizedGguf.Write(f32, gguf, GgmlType.Q8_0);
                break;
            case "Q4_0":
                QuantizedGguf.Write(f32, gguf, GgmlType.Q4_0);
                break;
        }

        int[] ids = Logits.PromptIds(checkpoint);
        float[][] expected;
        int[] expectedGreedy;
        using (var llama = new LlamaCppModel(gguf, contextSize: 64))
        {
            expected = llama.Logits(ids);
            expectedGreedy = llama.Greedy(ids, 8);
        }
        using var engine = new Engine(gguf, batchSize: 8);
        var (maxDiff, agree) = Logits.Compare(expected, engine.Logits(ids));
        var (stepDiff, _) = Logits.Compare(expected, engine.StepwiseLogits(ids));
        int[] greedy = engine.Greedy(ids, 8);
        output.WriteLine($"{type}: max |diff| prefill {maxDiff:E2}, decode steps {stepDiff:E2} over {ids.Length} positions; argmax agrees at {agree}");
        output.WriteLine($"llama.cpp greedy {string.Join(' ', expectedGreedy)}; ours {string.Join(' ', greedy)}");
        float tolerance = type switch { "F32" => F32Tolerance, "F16" => F16Tolerance, "BF16" => BF16Tolerance, _ => QuantTolerance };
        Assert.True(maxDiff < tolerance, $"max |diff| {maxDiff} >= {tolerance}");
        Assert.True(stepDiff < tolerance, $"decode max |diff| {stepDiff} >= {tolerance}");
        // BF16: llama.cpp's rounded activations may flip one near-tie argmax (as in Glm.LlamaCpp.Tests).
        Assert.True(agree >= ids.Length - (type == "BF16" ? 1 : 0), $"argmax agrees at only {agree} of {ids.Length} positions");
        Assert.Equal(expectedGreedy, greedy);
    }

    [Fact]
    public void Q6_K_gguf_logits_and_greedy_tokens_match_llama_cpp()
    {
        // Q6_K blocks are 256 values, so every matrix needs 256-multiple rows: C 256, H·D 256, F 512.
        var tokenizer = Glm.Tokenizers.BpeTrainer.Train(TinyChatGlmCheckpoint.Corpus, new Glm.Tokenizers.BpeTrainerOptions { VocabSize = 300, MinFrequency = 1 });
        var config = new Glm.Core.Configs.ChatGlmConfig
        {
            PaddedVocabSize = 320, HiddenSize = 256, NumLayers = 2, NumAttentionHeads = 4, KvChannels = 64,
            MultiQueryGroupNum = 2, FfnHiddenSize = 512, SeqLength = 64, RopeRatio = 500, TorchDtype = "float32",
        }.Validate();
        string folder = Path.Combine(Path.GetTempPath(), $"glm-q6k-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            string json = Path.Combine(folder, "tokenizer.json");
            tokenizer.Save(json);
            string gguf = Path.Combine(folder, "model-q6k.gguf");
            SyntheticGguf.Write(gguf, config, GgmlType.Q6_K, json, seed: 33);
            int[] ids = tokenizer.EncodeWithSpecialTokens(Logits.Prompt)[..12];
            float[][] expected;
            int[] expectedGreedy;
            using (var llama = new LlamaCppModel(gguf, contextSize: 64))
            {
                expected = llama.Logits(ids);
                expectedGreedy = llama.Greedy(ids, 8);
            }
            using var engine = new Engine(gguf, batchSize: 8);
            var (maxDiff, agree) = Logits.Compare(expected, engine.Logits(ids));
            int[] greedy = engine.Greedy(ids, 8);
            output.WriteLine($"Q6_K: max |diff| {maxDiff:E2} over {ids.Length} positions; argmax agrees at {agree}");
            output.WriteLine($"llama.cpp greedy {string.Join(' ', expectedGreedy)}; ours {string.Join(' ', greedy)}");
            Assert.True(maxDiff < QuantTolerance, $"max |diff| {maxDiff} >= {QuantTolerance}");
            Assert.Equal(ids.Length, agree);
            Assert.Equal(expectedGreedy, greedy);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
