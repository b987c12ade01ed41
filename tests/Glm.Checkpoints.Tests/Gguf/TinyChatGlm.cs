using Glm.Checkpoints.Gguf;
using Glm.Checkpoints.HuggingFace;
using Glm.Checkpoints.Safetensors;
using Glm.Core.Configs;

namespace Glm.Checkpoints.Tests.Gguf;

/// <summary>A 2-layer ChatGLM config and an HF folder of random weights for it.</summary>
internal static class TinyChatGlm
{
    public static ChatGlmConfig Config(bool addBiasLinear = false, bool tie = false) => new ChatGlmConfig
    {
        PaddedVocabSize = 40,
        HiddenSize = 16,
        NumLayers = 2,
        NumAttentionHeads = 4,
        KvChannels = 4,
        MultiQueryGroupNum = 2,
        FfnHiddenSize = 24,
        SeqLength = 64,
        LayerNormEpsilon = 1.5625e-7,
        RopeRatio = 500,
        AddBiasLinear = addBiasLinear,
        TieWordEmbeddings = tie,
        EosTokenId = System.Text.Json.JsonSerializer.SerializeToElement(new[] { 2, 5, 7 }),
        PadTokenId = 2,
        TorchDtype = "float32",
    }.Validate();

    /// <summary>Writes config.json and model.safetensors (plus an inv_freq buffer, which converters drop).</summary>
    public static Dictionary<string, float[]> WriteFolder(string folder, ChatGlmConfig config, DType dtype = DType.F32, int seed = 7)
    {
        ModelConfigFile.Write(folder, config);
        var random = new Random(seed);
        var writer = new SafetensorsWriter();
        var values = new Dictionary<string, float[]>();
        foreach (var tensor in GgufGlmNames.ChatGlmTensors(config))
        {
            var data = new float[tensor.Shape.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1) / 3f;
            writer.Add(tensor.Hf, dtype, tensor.Shape, data);
            values[tensor.Hf] = data;
        }
        writer.Add("transformer.rotary_pos_emb.inv_freq", DType.F32, [2], [1f, 0.01f]);
        writer.Write(Path.Combine(folder, SafetensorsModel.SingleFileName));
        return values;
    }
}
