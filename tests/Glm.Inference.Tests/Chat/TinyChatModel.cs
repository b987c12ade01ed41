using Glm.Core.Configs;
using Glm.Inference.Chat;
using Glm.Kernels.Quant;
using Glm.Tokenizers;

namespace Glm.Inference.Tests.Chat;

/// <summary>
/// A random F32 <c>chatglm</c> GGUF file (hidden 64, 2 layers, context 256) with a small trained tokenizer.json beside
/// it, in a temporary folder that <see cref="Dispose"/> deletes; and a <see cref="GlmChatClient"/> opened on it.
/// </summary>
public sealed class TinyChatModel : IDisposable
{
    private static readonly string[] Corpus =
    [
        "Hello! How are you today? I am fine, thank you.",
        "The quick brown fox jumps over the lazy dog again and again.",
        "A chat model answers the user in turns, one reply after another.",
        "你好，世界。 Numbers 123 456 and symbols: #, @, %.",
    ];

    public TinyChatModel(int seed = 5)
    {
        Folder = Directory.CreateTempSubdirectory("glm-chat-").FullName;
        Tokenizer = BpeTrainer.Train(Corpus, new BpeTrainerOptions { VocabSize = 300, MinFrequency = 1 });
        string json = Path.Combine(Folder, "tokenizer.json");
        Tokenizer.Save(json);
        var config = new ChatGlmConfig
        {
            PaddedVocabSize = (Tokenizer.VocabSize + 63) / 64 * 64, HiddenSize = 64, NumLayers = 2, NumAttentionHeads = 4,
            KvChannels = 16, MultiQueryAttention = true, MultiQueryGroupNum = 2, FfnHiddenSize = 96, SeqLength = 256,
            AddQkvBias = true, TorchDtype = "float32",
        }.Validate();
        ModelPath = Path.Combine(Folder, "tiny.gguf");
        SyntheticGguf.Write(ModelPath, config, GgmlType.F32, json, seed);
    }

    public string Folder { get; }

    public string ModelPath { get; }

    public ByteLevelBpeTokenizer Tokenizer { get; }

    public GlmChatClient OpenClient() => GlmChatClient.Open(ModelPath, threads: 2);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not a test failure.
        }
    }
}
