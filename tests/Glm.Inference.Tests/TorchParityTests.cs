using Glm.LlamaCpp.Tests;
using Xunit.Abstractions;

namespace Glm.Inference.Tests;

/// <summary>
/// Our engine on the HF folder (F32 safetensors, used in place) computes the logits of the TorchSharp
/// <c>ChatGlmModel</c> holding the same weights, at every position, both by one batched prefill and by decode steps
/// through the KV cache.
/// </summary>
public sealed class TorchParityTests(ITestOutputHelper output)
{
    /// <summary>F32 on both sides; only summation order differs. Logits are of order 1.</summary>
    private const float F32Tolerance = 1e-4f;

    [Theory]
    [InlineData(1.0)]
    [InlineData(500.0)]
    public void Hf_folder_logits_match_the_torch_model_at_every_position(double ropeRatio)
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(ropeRatio, seed: 21);
        using var engine = new Engine(checkpoint.Folder, batchSize: 5); // 12 tokens: batches of 5, 5, 2
        int[] ids = Logits.PromptIds(checkpoint, 24);
        var expected = checkpoint.Logits(ids);

        var (prefillDiff, prefillAgree) = Logits.Compare(expected, engine.Logits(ids));
        var (stepDiff, stepAgree) = Logits.Compare(expected, engine.StepwiseLogits(ids));
        output.WriteLine($"rope_ratio {ropeRatio}: prefill max |diff| {prefillDiff:E2}, decode steps max |diff| {stepDiff:E2} over {ids.Length} positions");
        Assert.True(prefillDiff < F32Tolerance, $"prefill max |diff| {prefillDiff} >= {F32Tolerance}");
        Assert.True(stepDiff < F32Tolerance, $"decode max |diff| {stepDiff} >= {F32Tolerance}");
        Assert.Equal(ids.Length, prefillAgree);
        Assert.Equal(ids.Length, stepAgree);
    }

    [Fact]
    public void Greedy_tokens_match_the_torch_model()
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(500, seed: 22);
        using var engine = new Engine(checkpoint.Folder);
        int[] prompt = Logits.PromptIds(checkpoint);
        int[] expected = checkpoint.Greedy(prompt, 10);
        int[] actual = engine.Greedy(prompt, 10);
        output.WriteLine($"torch {string.Join(' ', expected)}; ours {string.Join(' ', actual)}");
        Assert.Equal(expected, actual);
    }
}
