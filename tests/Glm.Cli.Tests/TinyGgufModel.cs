using Glm.Checkpoints.Gguf;
using Glm.Core.Configs;
using Glm.Kernels.Quant;
using Glm.Tokenizers;

namespace Glm.Cli.Tests;

/// <summary>A tiny random chatglm GGUF for the engine commands (chat, serve).</summary>
public static class TinyGgufModel
{
    /// <summary>
    /// Writes tiny.gguf (hidden 64, 2 layers, context 256, F32 weights from a fixed seed) and tokenizer.json beside
    /// it into <paramref name="dir"/>; returns the .gguf path.
    /// </summary>
    public static string Write(string dir)
    {
        var tokenizer = BpeTrainer.Train(["Hello there, how are you?", "The quick brown fox jumps over the lazy dog."],
            new BpeTrainerOptions { VocabSize = 280, MinFrequency = 1 });
        tokenizer.Save(Path.Combine(dir, "tokenizer.json"));
        var config = new ChatGlmConfig
        {
            PaddedVocabSize = (tokenizer.VocabSize + 63) / 64 * 64, HiddenSize = 64, NumLayers = 2, NumAttentionHeads = 4,
            KvChannels = 16, MultiQueryAttention = true, MultiQueryGroupNum = 2, FfnHiddenSize = 96, SeqLength = 256,
            TorchDtype = "float32",
        }.Validate();
        var writer = new GgufWriter();
        writer.SetString(GgufChatGlmConfig.ArchitectureKey, GgufGlmNames.ChatGlmArchitecture);
        GgufChatGlmConfig.Write(writer, config);
        var random = new Random(3);
        foreach (var tensor in GgufGlmNames.ChatGlmTensors(config))
        {
            bool matrix = tensor.Shape.Length == 2;
            double scale = matrix ? Math.Sqrt(3.0 / tensor.Shape[1]) : 0.1;
            var values = new float[tensor.Shape.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < values.Length; i++) values[i] = (float)((matrix ? 0 : 1) + scale * (2 * random.NextDouble() - 1));
            writer.AddFloat32(tensor.Gguf, GgmlType.F32, tensor.Shape, values);
        }
        string path = Path.Combine(dir, "tiny.gguf");
        writer.Write(path);
        return path;
    }
}
