using Glm.Checkpoints.Gguf;
using Glm.Core.Configs;
using Glm.Kernels.Quant;
using Glm.Tokenizers;

namespace Glm.TestSupport;

/// <summary>
/// Random <c>chatglm</c> GGUF files for the engine, CLI and server tests (compiled into each of those test projects):
/// every matrix in one type, quantized by the kernels' reference quantizers (norms 1 ± 0.1, matrices U(±√(3/fan_in)),
/// 1-D tensors F32). With a tokenizer.json its vocabulary is written too, so llama.cpp can load the file.
/// </summary>
public static class SyntheticGguf
{
    /// <summary>The file name <see cref="WriteTiny"/> writes.</summary>
    public const string TinyFile = "tiny.gguf";

    public static void Write(string path, ChatGlmConfig config, GgmlType type, string? tokenizerJson = null, int seed = 5)
    {
        var writer = new GgufWriter();
        writer.SetString(GgufChatGlmConfig.ArchitectureKey, GgufGlmNames.ChatGlmArchitecture);
        writer.SetString(GgufChatGlmConfig.NameKey, "synthetic");
        GgufChatGlmConfig.Write(writer, config);
        if (tokenizerJson is not null) GgufTokenizerMetadata.Write(writer, tokenizerJson, config.PaddedVocabSize);
        var random = new Random(seed);
        foreach (var tensor in GgufGlmNames.ChatGlmTensors(config))
        {
            long count = tensor.Shape.Aggregate(1L, (a, b) => a * b);
            var values = new float[count];
            bool matrix = tensor.Shape.Length == 2;
            double scale = matrix ? Math.Sqrt(3.0 / tensor.Shape[1]) : 0.1;
            for (int i = 0; i < values.Length; i++) values[i] = (float)((matrix ? 0 : 1) + scale * (2 * random.NextDouble() - 1));
            if (!matrix || type == GgmlType.F32)
            {
                writer.AddFloat32(tensor.Gguf, GgmlType.F32, tensor.Shape, values);
                continue;
            }
            if (type is GgmlType.F16 or GgmlType.BF16)
            {
                writer.AddFloat32(tensor.Gguf, type, tensor.Shape, values);
                continue;
            }
            int cols = (int)tensor.Shape[1], rows = (int)tensor.Shape[0], rowBytes = GgmlTypes.RowBytes(type, cols);
            var data = new byte[rows * rowBytes];
            for (int r = 0; r < rows; r++)
            {
                Quantize(type, values.AsSpan(r * cols, cols), data.AsSpan(r * rowBytes, rowBytes));
            }
            writer.AddRaw(tensor.Gguf, type, tensor.Shape, data);
        }
        writer.Write(path);
    }

    public static void Quantize(GgmlType type, ReadOnlySpan<float> row, Span<byte> destination)
    {
        switch (type)
        {
            case GgmlType.Q8_0: Q8_0.QuantizeReference(row, destination); break;
            case GgmlType.Q4_0: Q4_0.QuantizeReference(row, destination); break;
            case GgmlType.Q6_K: Q6_K.QuantizeReference(row, destination); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "not a quantized type");
        }
    }

    /// <summary>
    /// Writes <see cref="TinyFile"/> (F32, hidden 64, 2 layers, the given context) and a 280-token tokenizer.json
    /// beside it into <paramref name="folder"/>; returns the tokenizer.
    /// </summary>
    public static ByteLevelBpeTokenizer WriteTiny(string folder, int contextLength, int seed = 3)
    {
        var tokenizer = BpeTrainer.Train(["Hello there, how are you?", "The quick brown fox jumps over the lazy dog."],
            new BpeTrainerOptions { VocabSize = 280, MinFrequency = 1 });
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        var config = new ChatGlmConfig
        {
            PaddedVocabSize = (tokenizer.VocabSize + 63) / 64 * 64, HiddenSize = 64, NumLayers = 2, NumAttentionHeads = 4,
            KvChannels = 16, MultiQueryAttention = true, MultiQueryGroupNum = 2, FfnHiddenSize = 96, SeqLength = contextLength,
            TorchDtype = "float32",
        }.Validate();
        Write(Path.Combine(folder, TinyFile), config, GgmlType.F32, seed: seed);
        return tokenizer;
    }
}
