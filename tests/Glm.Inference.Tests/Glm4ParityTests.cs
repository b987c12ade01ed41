using System.Text.Json;
using Glm.Checkpoints.Gguf;
using Glm.Inference.Loading;
using Glm.Inference.Models;
using Glm.Kernels.Quant;
using Glm.LlamaCpp.Tests;
using Xunit.Abstractions;

namespace Glm.Inference.Tests;

/// <summary>
/// GLM-4-0414 (<c>glm4</c>): our engine and llama.cpp (LLamaSharp, F32 KV cache, no flash attention) compute the same
/// logits and greedy tokens on the GGUF file GgufConvert writes from a Hugging Face <c>Glm4ForCausalLM</c> folder, and
/// the engine computes the same logits from the folder itself. This checks the sandwich norms, separate biased q/k/v,
/// partial RoPE with a head dim other than C/H, the fused gate_up order and the glm4 names and metadata.
/// </summary>
public sealed class Glm4ParityTests(ITestOutputHelper output)
{
    /// <summary>F32 weights: only summation order differs. Observed max |diff| about 2e-6 (logits of order 1).</summary>
    private const float F32Tolerance = 1e-4f;

    /// <summary>F16 weights: llama.cpp rounds the activations to F16 before each F16 matmul, we keep them F32.</summary>
    private const float F16Tolerance = 1e-2f;

    /// <summary>Q8_0 / Q4_0 weights with Q8_0 activations on both sides: only float summation order differs.</summary>
    private const float QuantTolerance = 5e-3f;

    [Theory]
    [InlineData("F32", 10000.0, false)]
    [InlineData("F32", 5000000.0, false)]
    [InlineData("F32", 10000.0, true)]
    [InlineData("F16", 10000.0, false)]
    [InlineData("Q8_0", 10000.0, false)]
    [InlineData("Q4_0", 10000.0, false)]
    public void Glm4_gguf_logits_and_greedy_tokens_match_llama_cpp(string type, double ropeTheta, bool tied)
    {
        using var checkpoint = TinyGlm4Checkpoint.Create(seed: 71, ropeTheta, tied);
        string gguf = WriteGguf(checkpoint, type);
        int[] ids = checkpoint.PromptIds();
        float[][] expected;
        int[] expectedGreedy;
        using (var llama = new LlamaCppModel(gguf, contextSize: 64))
        {
            Assert.Equal(checkpoint.Config.VocabSize, llama.VocabSize);
            Assert.Equal(checkpoint.Config.NumHiddenLayers, llama.Weights.NativeHandle.LayerCount);
            expected = llama.Logits(ids);
            expectedGreedy = llama.Greedy(ids, 8);
        }
        using var engine = new Engine(gguf, batchSize: 8);
        Assert.IsType<Glm4>(engine.Model);
        var (maxDiff, agree) = Logits.Compare(expected, engine.Logits(ids));
        var (stepDiff, _) = Logits.Compare(expected, engine.StepwiseLogits(ids));
        int[] greedy = engine.Greedy(ids, 8);
        output.WriteLine($"glm4 {type} θ={ropeTheta} tied={tied}: max |diff| prefill {maxDiff:E2}, decode steps {stepDiff:E2}; argmax agrees at {agree}/{ids.Length}");
        output.WriteLine($"llama.cpp greedy {string.Join(' ', expectedGreedy)}; ours {string.Join(' ', greedy)}");
        float tolerance = type switch { "F32" => F32Tolerance, "F16" => F16Tolerance, _ => QuantTolerance };
        Assert.True(maxDiff < tolerance, $"max |diff| {maxDiff} >= {tolerance}");
        Assert.True(stepDiff < tolerance, $"decode max |diff| {stepDiff} >= {tolerance}");
        Assert.Equal(ids.Length, agree);
        Assert.Equal(expectedGreedy, greedy);
    }

    [Fact]
    public void Hf_folder_and_its_f32_gguf_give_the_same_logits()
    {
        using var checkpoint = TinyGlm4Checkpoint.Create(seed: 72);
        string gguf = WriteGguf(checkpoint, "F32");
        int[] ids = checkpoint.PromptIds();
        using var fromFolder = new Engine(checkpoint.Folder, batchSize: 5);
        using var fromGguf = new Engine(gguf, batchSize: 5);
        Assert.False(fromFolder.File.IsGguf);
        Assert.Equal("glm4", fromFolder.File.Architecture);
        Assert.Equal(JsonSerializer.Serialize(checkpoint.Config), JsonSerializer.Serialize(fromGguf.File.Glm4Weights!.Config));
        Assert.Equal([checkpoint.Tokenizer.Special.EndOfText], fromFolder.File.EosTokenIds);
        var (maxDiff, agree) = Logits.Compare(fromFolder.Logits(ids), fromGguf.Logits(ids));
        output.WriteLine($"HF folder vs GGUF: max |diff| {maxDiff:E2}");
        Assert.Equal(0f, maxDiff);
        Assert.Equal(ids.Length, agree);
        Assert.Throws<Glm.Core.GlmException>(() => fromFolder.File.Weights);
    }

    [Fact]
    public void Llama_cpp_and_the_embedded_vocabulary_tokenize_alike()
    {
        using var checkpoint = TinyGlm4Checkpoint.Create(seed: 74);
        string alone = Path.Combine(checkpoint.Folder, "alone");
        Directory.CreateDirectory(alone);
        string gguf = Path.Combine(alone, "model.gguf");
        GgufConvert.HfToGguf(checkpoint.Folder, gguf, GgmlType.F32, "tiny-glm4");
        using var file = GlmModelFile.Open(gguf);
        var embedded = file.LoadTokenizer();
        using var llama = new LlamaCppModel(gguf, contextSize: 64);
        foreach (string text in TinyChatGlmCheckpoint.Corpus.Append(Logits.Prompt).Append("Unseen words: zebra, 42 ünïcode 中文!\n\n  end"))
        {
            int[] ours = embedded.EncodeWithSpecialTokens(text);
            Assert.Equal(checkpoint.Tokenizer.EncodeWithSpecialTokens(text), ours);
            Assert.Equal(llama.Tokenize(text), ours);
        }
    }

    [Fact]
    public void Glm4_decode_steps_allocate_nothing_after_warm_up()
    {
        using var checkpoint = TinyGlm4Checkpoint.Create(seed: 73);
        using var engine = new Engine(checkpoint.Folder, threads: 2);
        var model = engine.Model;
        int[] prompt = checkpoint.PromptIds();
        for (int round = 0; round < 20; round++)
        {
            model.Reset();
            model.Prefill(prompt);
            for (int i = 0; i < 20; i++) model.Decode(5 + i);
        }
        model.Reset();
        model.Prefill(prompt);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 16; i++) model.Decode(10 + i);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static string WriteGguf(TinyGlm4Checkpoint checkpoint, string type)
    {
        string f32 = Path.Combine(checkpoint.Folder, "model-F32.gguf");
        GgufConvert.HfToGguf(checkpoint.Folder, f32, GgmlType.F32, "tiny-glm4");
        string gguf = Path.Combine(checkpoint.Folder, $"model-{type}.gguf");
        switch (type)
        {
            case "F32":
                return f32;
            case "F16":
                GgufConvert.HfToGguf(checkpoint.Folder, gguf, GgmlType.F16, "tiny-glm4");
                return gguf;
            default:
                GgufQuantize.Quantize(f32, gguf, Enum.Parse<GgmlType>(type));
                return gguf;
        }
    }
}
