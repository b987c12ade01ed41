using Glm.Checkpoints.Safetensors;
using Glm.Core;
using Glm.Core.Configs;
using Glm.Kernels.Quant;

namespace Glm.Inference.Loading;

/// <summary>Maps a Hugging Face ChatGLM2/3 / GLM-4 checkpoint's tensors (glm-spec §2.5) onto <see cref="ChatGlmWeights"/>.</summary>
internal static class HfWeightReader
{
    private const string Layer = "transformer.encoder.layers.";

    public static ChatGlmWeights Read(SafetensorsModel model, ChatGlmConfig config)
    {
        int c = config.HiddenSize, v = config.PaddedVocabSize, f = config.FfnHiddenSize;
        int attn = config.NumAttentionHeads * config.KvChannels;
        var embedding = Matrix(model, "transformer.embedding.word_embeddings.weight", v, c);
        var layers = new ChatGlmLayerWeights[config.NumLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"{Layer}{i}.";
            layers[i] = new ChatGlmLayerWeights(
                AttnNorm: Vector(model, p + "input_layernorm.weight", c),
                Qkv: Matrix(model, p + "self_attention.query_key_value.weight", config.QkvSize, c),
                QkvBias: config.AddQkvBias ? Vector(model, p + "self_attention.query_key_value.bias", config.QkvSize) : null,
                Dense: Matrix(model, p + "self_attention.dense.weight", c, attn),
                DenseBias: config.AddBiasLinear ? Vector(model, p + "self_attention.dense.bias", c) : null,
                FfnNorm: Vector(model, p + "post_attention_layernorm.weight", c),
                GateUp: Matrix(model, p + "mlp.dense_h_to_4h.weight", 2 * f, c),
                GateUpBias: config.AddBiasLinear ? Vector(model, p + "mlp.dense_h_to_4h.bias", 2 * f) : null,
                Down: Matrix(model, p + "mlp.dense_4h_to_h.weight", c, f),
                DownBias: config.AddBiasLinear ? Vector(model, p + "mlp.dense_4h_to_h.bias", c) : null);
        }
        const string outputName = "transformer.output_layer.weight";
        var output = config.TieWordEmbeddings ? embedding : Matrix(model, outputName, v, c);
        return new ChatGlmWeights(config, embedding, layers, Vector(model, "transformer.encoder.final_layernorm.weight", c), output);
    }

    public static WeightTensor Matrix(SafetensorsModel model, string name, int rows, int cols)
    {
        var info = model.GetInfo(name);
        Check(model, info, [rows, cols]);
        var type = info.DType switch
        {
            DType.F32 => GgmlType.F32,
            DType.F16 => GgmlType.F16,
            DType.BF16 => GgmlType.BF16,
            _ => throw new GlmException($"model weights {model.Source}: tensor '{name}' has dtype {info.DType}; the engine reads F32, F16 and BF16"),
        };
        return new WeightTensor(name, type, model.GetPointer(name), info.ByteLength, rows, cols);
    }

    public static float[] Vector(SafetensorsModel model, string name, int length)
    {
        var info = model.GetInfo(name);
        Check(model, info, [length]);
        if (!DTypes.IsFloat32Convertible(info.DType))
        {
            throw new GlmException($"model weights {model.Source}: tensor '{name}' has dtype {info.DType}; the engine reads F32, F16 and BF16");
        }
        return model.ReadFloat32(name);
    }

    private static void Check(SafetensorsModel model, TensorInfo info, long[] shape)
    {
        if (!info.Shape.AsSpan().SequenceEqual(shape))
        {
            throw new GlmException($"model weights {model.Source}: tensor '{info.Name}' has shape {info.ShapeText}; " +
                $"config.json calls for [{string.Join(", ", shape)}]");
        }
    }
}
