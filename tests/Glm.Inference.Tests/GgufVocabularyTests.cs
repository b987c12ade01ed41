using Glm.Checkpoints.Gguf;
using Glm.Core;
using Glm.Core.Configs;
using Glm.Inference.Loading;
using Glm.Kernels.Quant;
using Glm.LlamaCpp.Tests;
using Glm.Tokenizers;

namespace Glm.Inference.Tests;

/// <summary>
/// A GGUF file alone (no tokenizer.json beside it) opens with the vocabulary in its <c>tokenizer.ggml.*</c> keys, and
/// that tokenizer gives the same ids and text as the tokenizer.json it was written from.
/// </summary>
public sealed class GgufVocabularyTests
{
    private static readonly string[] Texts =
    [
        .. TinyChatGlmCheckpoint.Corpus,
        "[gMASK]<sop><|user|>\nUnseen words: zebra, 42 ünïcode 中文!\n\n  end<|assistant|>",
        "<|endoftext|>tabs\tand\r\nnewlines",
    ];

    [Fact]
    public void Glm4_gguf_alone_opens_with_its_embedded_vocabulary()
    {
        using var checkpoint = TinyGlm4Checkpoint.Create(seed: 81);
        string alone = Path.Combine(checkpoint.Folder, "alone");
        Directory.CreateDirectory(alone);
        string gguf = Path.Combine(alone, "model.gguf");
        GgufConvert.HfToGguf(checkpoint.Folder, gguf, GgmlType.F16, "tiny-glm4");

        using var file = GlmModelFile.Open(gguf);
        AssertSameTokenizer(checkpoint.Tokenizer, file.LoadTokenizer());
    }

    [Fact]
    public void Chatglm_gguf_alone_opens_with_its_embedded_vocabulary()
    {
        using var folder = new TempDirectory();
        var tokenizer = BpeTrainer.Train(TinyChatGlmCheckpoint.Corpus, new BpeTrainerOptions { VocabSize = 300, MinFrequency = 1 });
        string json = Path.Combine(folder.Path, "tokenizer.json");
        tokenizer.Save(json);
        string alone = Path.Combine(folder.Path, "alone");
        Directory.CreateDirectory(alone);
        string gguf = Path.Combine(alone, "model.gguf");
        SyntheticGguf.Write(gguf, TinyConfig(), GgmlType.Q8_0, json);

        using var file = GlmModelFile.Open(gguf);
        AssertSameTokenizer(tokenizer, file.LoadTokenizer());
    }

    [Fact]
    public void Gguf_without_a_vocabulary_or_tokenizer_json_says_so()
    {
        using var folder = new TempDirectory();
        string gguf = Path.Combine(folder.Path, "model.gguf");
        SyntheticGguf.Write(gguf, TinyConfig(), GgmlType.F32);
        using var file = GlmModelFile.Open(gguf);
        var error = Assert.Throws<GlmException>(() => file.LoadTokenizer());
        Assert.Contains("tokenizer.ggml.model", error.Message);
        Assert.Contains("tokenizer.json", error.Message);
    }

    [Fact]
    public void Gguf_with_another_kind_of_vocabulary_is_named()
    {
        using var folder = new TempDirectory();
        string json = Path.Combine(folder.Path, "tokenizer.json");
        BpeTrainer.Train(TinyChatGlmCheckpoint.Corpus, new BpeTrainerOptions { VocabSize = 300, MinFrequency = 1 }).Save(json);
        string f32 = Path.Combine(folder.Path, "with-vocab.gguf");
        SyntheticGguf.Write(f32, TinyConfig(), GgmlType.F32, json);
        string gguf = Path.Combine(folder.Path, "llama", "model.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(gguf)!);
        using (var source = GgufFile.Open(f32))
        {
            var writer = new GgufWriter();
            foreach (var (key, value) in source.Metadata) writer.Set(key, value);
            writer.SetString(GgufTokenizerMetadata.ModelKey, "llama");
            foreach (var info in source.Tensors) writer.AddRaw(info.Name, info.Type, info.Shape, source.GetBytes(info.Name));
            writer.Write(gguf);
        }
        using var file = GlmModelFile.Open(gguf);
        var error = Assert.Throws<GlmException>(() => file.LoadTokenizer());
        Assert.Contains("'llama'", error.Message);
    }

    private static ChatGlmConfig TinyConfig() => new ChatGlmConfig
    {
        PaddedVocabSize = 320, HiddenSize = 64, NumLayers = 1, NumAttentionHeads = 4, KvChannels = 16,
        MultiQueryGroupNum = 2, FfnHiddenSize = 96, SeqLength = 64, TorchDtype = "float32",
    }.Validate();

    private static void AssertSameTokenizer(IGlmTokenizer expected, IGlmTokenizer actual)
    {
        Assert.Equal(expected.VocabSize, actual.VocabSize);
        Assert.Equal(expected.Special, actual.Special);
        foreach (string text in Texts)
        {
            int[] ids = expected.EncodeWithSpecialTokens(text);
            Assert.Equal(ids, actual.EncodeWithSpecialTokens(text));
            Assert.Equal(text, actual.Decode(ids));
        }
    }

    /// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"glm-vocab-{Guid.NewGuid():N}");

        public TempDirectory() => Directory.CreateDirectory(Path);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
