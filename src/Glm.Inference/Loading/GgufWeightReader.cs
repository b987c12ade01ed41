using Glm.Checkpoints.Gguf;
using Glm.Core;
using Glm.Kernels.Quant;

namespace Glm.Inference.Loading;

/// <summary>Maps a <c>chatglm</c> GGUF file (glm-spec §2.6) onto <see cref="ChatGlmWeights"/>.</summary>
internal static class GgufWeightReader
{
    public static ChatGlmWeights Read(GgufFile file)
    {
        string? arch = file.Architecture;
        if (arch != GgufGlmNames.ChatGlmArchitecture)
        {
            throw new GlmException($"GGUF file {file.Path} has architecture '{arch ?? "(none)"}'; the inference engine runs " +
                $"'{GgufGlmNames.ChatGlmArchitecture}' (ChatGLM2/3, GLM-4-9B) and '{GgufGlmNames.Glm4Architecture}' (GLM-4-0414)");
        }
        var layout = GgufGlmLayout.Read(file);
        var config = GgufChatGlmConfig.Read(file);
        int c = config.HiddenSize, v = config.PaddedVocabSize, f = config.FfnHiddenSize;
        int attn = config.NumAttentionHeads * config.KvChannels;
        var layers = new ChatGlmLayerWeights[layout.Layers.Count];
        foreach (var l in layout.Layers)
        {
            if (l.AttnQkv is null)
            {
                throw new GlmException($"GGUF file {file.Path}: layer {l.Index} has separate attn_q/attn_k/attn_v; the engine reads the fused 'blk.{l.Index}.attn_qkv.weight'");
            }
            if (l.FfnGate is not null)
            {
                throw new GlmException($"GGUF file {file.Path}: layer {l.Index} has a separate '{l.FfnGate}'; the engine reads the fused gate+up 'ffn_up'");
            }
            layers[l.Index] = new ChatGlmLayerWeights(
                AttnNorm: Vector(file, l.AttnNorm),
                Qkv: Matrix(file, l.AttnQkv, config.QkvSize, c),
                QkvBias: l.AttnQkvBias is null ? null : Vector(file, l.AttnQkvBias),
                Dense: Matrix(file, l.AttnOutput, c, attn),
                DenseBias: l.AttnOutputBias is null ? null : Vector(file, l.AttnOutputBias),
                FfnNorm: Vector(file, l.FfnNorm),
                GateUp: Matrix(file, l.FfnUp, 2 * f, c),
                GateUpBias: Optional(file, $"blk.{l.Index}.ffn_up.bias"),
                Down: Matrix(file, l.FfnDown, c, f),
                DownBias: Optional(file, $"blk.{l.Index}.ffn_down.bias"));
        }
        var embedding = Matrix(file, layout.TokenEmbedding, v, c);
        var output = layout.Output == layout.TokenEmbedding ? embedding : Matrix(file, layout.Output, v, c);
        return new ChatGlmWeights(config, embedding, layers, Vector(file, layout.OutputNorm), output);
    }

    public static WeightTensor Matrix(GgufFile file, string name, int rows, int cols)
    {
        var info = file.GetInfo(name);
        if (info.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q6_K))
        {
            throw new GlmException($"GGUF file {file.Path}: tensor '{name}' is {info.Type}; the engine runs F32, F16, BF16, Q8_0, Q4_0 and Q6_K");
        }
        if (info.Dims.Length != 2 || info.Dims[0] != cols || info.Dims[1] != rows)
        {
            throw new GlmException($"GGUF file {file.Path}: tensor '{name}' has dims {info.DimsText}; expected [{cols}, {rows}]");
        }
        return new WeightTensor(name, info.Type, file.GetPointer(name), info.ByteLength, rows, cols);
    }

    public static float[] Vector(GgufFile file, string name)
    {
        var info = file.GetInfo(name);
        if (info.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
        {
            throw new GlmException($"GGUF file {file.Path}: tensor '{name}' is {info.Type}; 1-D tensors must be F32, F16 or BF16");
        }
        return file.ReadFloat32(name);
    }

    private static float[]? Optional(GgufFile file, string name) => file.Contains(name) ? Vector(file, name) : null;
}
