using Glm.Checkpoints.Gguf;
using Glm.Kernels.Quant;
using Glm.Tokenizers;
using LLama.Native;
using Xunit.Abstractions;

namespace Glm.LlamaCpp.Tests;

/// <summary>
/// The TorchSharp <c>ChatGlmModel</c> and llama.cpp's <c>chatglm</c> architecture compute the same logits on the same
/// weights, read from the GGUF file GgufConvert writes from the HF folder. This checks the model (RoPE base, pairing
/// and partial rotation, GQA grouping, SwiGLU order, QKV bias, norms) and the GGUF writer (names, dims, metadata,
/// vocabulary) against an independent implementation.
/// </summary>
public sealed class ChatGlmLlamaCppTests(ITestOutputHelper output)
{
    /// <summary>
    /// F32 weights, F32 KV cache: the two sides differ only in summation order. Logits are of order 1 (unit-variance
    /// random weights); observed max |diff| is about 2e-6 (both the AVX-512 and the AVX2 build of llama.cpp).
    /// </summary>
    private const float F32Tolerance = 1e-4f;

    /// <summary>
    /// F16 matrices (norms and biases stay F32), compared with the F32 TorchSharp model: llama.cpp also rounds the
    /// activations to F16 before each F16 matmul. Observed max |diff| is about 3e-3.
    /// </summary>
    private const float F16Tolerance = 2e-2f;

    /// <summary>BF16 matrices: 8 mantissa bits instead of F16's 11. Observed max |diff| is about 2.5e-2.</summary>
    private const float BF16Tolerance = 0.2f;

    private const string Prompt = "[gMASK]<sop>The quick fox predicts the next token from the lazy dog.";

    private static int[] PromptIds(TinyChatGlmCheckpoint checkpoint)
    {
        int[] ids = checkpoint.Tokenizer.EncodeWithSpecialTokens(Prompt);
        return ids.Length >= 12 ? ids[..12] : throw new InvalidOperationException($"prompt gives only {ids.Length} tokens");
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(500.0)]
    public void F32_gguf_logits_match_the_torch_model_at_every_position(double ropeRatio)
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(ropeRatio, seed: 11);
        string gguf = Path.Combine(checkpoint.Folder, "model-f32.gguf");
        GgufConvert.HfToGguf(checkpoint.Folder, gguf, GgmlType.F32, "tiny-chatglm");
        using var llama = new LlamaCppModel(gguf, contextSize: 64);

        Assert.Equal(checkpoint.Config.PaddedVocabSize, llama.VocabSize);
        Assert.Equal(checkpoint.Config.SeqLength, llama.Weights.ContextSize);
        Assert.Equal(checkpoint.Config.HiddenSize, llama.Weights.EmbeddingSize);
        Assert.Equal(checkpoint.Config.NumLayers, llama.Weights.NativeHandle.LayerCount);
        Assert.Equal(checkpoint.Config.NumAttentionHeads, llama.Weights.NativeHandle.HeadCount);
        Assert.Equal(checkpoint.Tokenizer.Special.EndOfText, (int)llama.Weights.Vocab.EOS!.Value);

        int[] ids = PromptIds(checkpoint);
        var expected = checkpoint.Logits(ids);
        var actual = llama.Logits(ids);
        var (maxDiff, agree) = Compare(expected, actual);
        output.WriteLine($"rope_ratio {ropeRatio}: F32 max |diff| {maxDiff:E2} over {ids.Length} positions, argmax agrees at {agree}");
        Assert.True(maxDiff < F32Tolerance, $"max |diff| {maxDiff} >= {F32Tolerance}");
        Assert.Equal(ids.Length, agree);
    }

    [Theory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    public void Half_precision_gguf_logits_match_the_torch_model_within_rounding(GgmlType type)
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(ropeRatio: 500, seed: 12);
        string gguf = Path.Combine(checkpoint.Folder, $"model-{type}.gguf");
        GgufConvert.HfToGguf(checkpoint.Folder, gguf, type, "tiny-chatglm");
        using var llama = new LlamaCppModel(gguf, contextSize: 64);

        int[] ids = PromptIds(checkpoint);
        var (maxDiff, agree) = Compare(checkpoint.Logits(ids), llama.Logits(ids));
        output.WriteLine($"{type} max |diff| {maxDiff:E2} over {ids.Length} positions, argmax agrees at {agree}");
        float tolerance = type == GgmlType.F16 ? F16Tolerance : BF16Tolerance;
        Assert.True(maxDiff < tolerance, $"max |diff| {maxDiff} >= {tolerance}");
        Assert.True(agree >= ids.Length - 1, $"argmax agrees at only {agree} of {ids.Length} positions");
    }

    [Fact]
    public void Greedy_generation_by_llama_cpp_equals_the_torch_model()
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(ropeRatio: 500, seed: 13);
        string gguf = Path.Combine(checkpoint.Folder, "model-f32.gguf");
        GgufConvert.HfToGguf(checkpoint.Folder, gguf, GgmlType.F32, "tiny-chatglm");
        using var llama = new LlamaCppModel(gguf, contextSize: 64);

        int[] prompt = PromptIds(checkpoint);
        int[] expected = checkpoint.Greedy(prompt, 8);
        int[] actual = llama.Greedy(prompt, 8);
        output.WriteLine($"torch greedy {string.Join(' ', expected)}; llama.cpp greedy {string.Join(' ', actual)}");
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Llama_cpp_tokenizes_with_the_gguf_vocabulary_as_our_tokenizer_does()
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(ropeRatio: 1, seed: 14);
        string gguf = Path.Combine(checkpoint.Folder, "model.gguf");
        GgufConvert.HfToGguf(checkpoint.Folder, gguf, GgmlType.F32, "tiny-chatglm");
        using var llama = new LlamaCppModel(gguf, contextSize: 64);

        // Token types: ids past the tokenizer are padding (unused), the GLM specials are control tokens.
        var vocab = llama.Weights.Vocab;
        for (int id = checkpoint.Tokenizer.VocabSize; id < checkpoint.Config.PaddedVocabSize; id++)
            Assert.True(((LLamaToken)id).GetAttributes(vocab).HasFlag(LLamaTokenAttr.Unused), $"padding id {id}: {((LLamaToken)id).GetAttributes(vocab)}");
        foreach (string special in GlmSpecialTokens.Glm4Order)
        {
            int id = checkpoint.Tokenizer.EncodeWithSpecialTokens(special).Single();
            Assert.True(((LLamaToken)id).GetAttributes(vocab).HasFlag(LLamaTokenAttr.Control), $"{special} ({id}): {((LLamaToken)id).GetAttributes(vocab)}");
        }

        foreach (string text in TinyChatGlmCheckpoint.Corpus.Append(Prompt).Append("Unseen words: zebra, 42 ünïcode 中文!\n\n  end"))
        {
            int[] ours = checkpoint.Tokenizer.EncodeWithSpecialTokens(text);
            int[] theirs = llama.Tokenize(text);
            Assert.True(ours.SequenceEqual(theirs), $"'{text}': ours [{string.Join(", ", ours)}], llama.cpp [{string.Join(", ", theirs)}]");
        }
    }

    /// <summary>Max |expected - actual| over all positions and the number of positions whose argmax agrees.</summary>
    private static (float MaxDiff, int Agree) Compare(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float maxDiff = 0;
        int agree = 0;
        for (int t = 0; t < expected.Length; t++)
        {
            Assert.Equal(expected[t].Length, actual[t].Length);
            for (int v = 0; v < expected[t].Length; v++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[t][v] - actual[t][v]));
            if (TinyChatGlmCheckpoint.ArgMax(expected[t]) == TinyChatGlmCheckpoint.ArgMax(actual[t])) agree++;
        }
        return (maxDiff, agree);
    }
}
