using System.Text.Json;
using Glm.Checkpoints.Gguf;
using Glm.Checkpoints.HuggingFace;
using Glm.Checkpoints.Safetensors;
using Glm.Core;
using Glm.Core.Configs;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Tests.Gguf;

/// <summary>GLM-4-0414: HF Glm4ForCausalLM folders to llama.cpp glm4 GGUF and back, and their config.json.</summary>
public class GgufGlm4ConvertTests
{
    /// <summary>config.json of GLM-4-9B-0414 as published (the fields GlmSharp reads and the ones it ignores).</summary>
    private const string Glm4_9b0414 = """
        {
          "architectures": ["Glm4ForCausalLM"],
          "attention_bias": true,
          "attention_dropout": 0.0,
          "eos_token_id": [151329, 151336, 151338],
          "head_dim": 128,
          "hidden_act": "silu",
          "hidden_size": 4096,
          "initializer_range": 0.02,
          "intermediate_size": 13696,
          "max_position_embeddings": 32768,
          "model_type": "glm4",
          "num_attention_heads": 32,
          "num_hidden_layers": 40,
          "num_key_value_heads": 2,
          "pad_token_id": 151329,
          "partial_rotary_factor": 0.5,
          "rms_norm_eps": 1e-05,
          "rope_theta": 10000.0,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.51.3",
          "use_cache": true,
          "vocab_size": 151552
        }
        """;

    private static string Json(Glm4Config config) => JsonSerializer.Serialize(config);

    private static Glm4Config Tiny(bool bias = true, bool tie = false) => new Glm4Config
    {
        VocabSize = 40, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, HeadDimension = 8, PartialRotaryFactor = 0.5, RopeTheta = 10000, RmsNormEps = 1e-5,
        MaxPositionEmbeddings = 128, AttentionBias = bias, TieWordEmbeddings = tie,
        EosTokenId = JsonSerializer.SerializeToElement(new[] { 3, 5 }), PadTokenId = 3, TorchDtype = "float32",
    }.Validate();

    /// <summary>Writes config.json and a model.safetensors of distinct F32 values; returns the values by HF name.</summary>
    private static Dictionary<string, float[]> WriteFolder(string folder, Glm4Config config)
    {
        Directory.CreateDirectory(folder);
        var values = new Dictionary<string, float[]>();
        var writer = new SafetensorsWriter();
        int next = 0;
        foreach (var tensor in GgufGlm4Names.Tensors(config))
        {
            var data = new float[tensor.Shape.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < data.Length; i++) data[i] = (next++ % 1000) * 0.001f - 0.5f;
            writer.Add(tensor.Hf, DType.F32, tensor.Shape, data);
            values[tensor.Hf] = data;
        }
        writer.Write(Path.Combine(folder, SafetensorsModel.SingleFileName));
        Glm4ConfigFile.Write(folder, config);
        return values;
    }

    [Fact]
    public void RealGlm4_9b0414Config_Reads()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("config.json"), Glm4_9b0414);
        Assert.True(Glm4ConfigFile.IsGlm4(temp.Path));
        var c = Glm4ConfigFile.Read(temp.Path);
        Assert.Equal((151552, 4096, 13696, 40, 32, 2), (c.VocabSize, c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads));
        Assert.Equal((128, 64, 10000.0, 1e-5, 32768), (c.HeadDim, c.RotaryDim, c.RopeBase, c.RmsNormEps, c.MaxPositionEmbeddings));
        Assert.True(c.AttentionBias);
        Assert.False(c.TieWordEmbeddings);
        Assert.Equal([151329, 151336, 151338], c.EosTokenId!.Value.EnumerateArray().Select(id => id.GetInt32()));
        // The training families refuse it with a reason instead of misreading it.
        var error = Assert.Throws<GlmException>(() => ModelConfigFile.Read(temp.Path));
        Assert.Contains("GLM-4-0414", error.Message);
    }

    [Fact]
    public void RopeParametersOfNewerTransformers_AreRead()
    {
        using var temp = new TempFolder();
        string json = Glm4_9b0414.Replace("\"partial_rotary_factor\": 0.5,", "").Replace("\"rope_theta\": 10000.0,",
            "\"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 40000.0, \"partial_rotary_factor\": 0.25},");
        File.WriteAllText(temp.File("config.json"), json);
        var c = Glm4ConfigFile.Read(temp.Path);
        Assert.Equal((32, 40000.0), (c.RotaryDim, c.RopeBase));
    }

    [Fact]
    public void OddRotaryDims_AreRejectedByName()
    {
        var error = Assert.Throws<GlmException>(() => (Tiny() with { PartialRotaryFactor = 0.125 * 0.5 }).Validate());
        Assert.Contains("partial_rotary_factor", error.Message);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void HfToGgufToHfIsExactForF32(bool bias, bool tie)
    {
        using var temp = new TempFolder();
        string hf = Path.Combine(temp.Path, "tiny-glm4"), gguf = temp.File("tiny.gguf"), back = Path.Combine(temp.Path, "back");
        var config = Tiny(bias, tie);
        var values = WriteFolder(hf, config);

        GgufConvert.HfToGguf(hf, gguf);
        GgufConvert.GgufToHf(gguf, back);

        Assert.Equal(Json(config), Json(Glm4ConfigFile.Read(back)));
        using var weights = SafetensorsModel.Open(back);
        Assert.Equal(values.Keys.Order(), weights.Tensors.Keys.Order());
        foreach (var (name, expected) in values)
            Assert.Equal(expected.Select(BitConverter.SingleToUInt32Bits), weights.ReadFloat32(name).Select(BitConverter.SingleToUInt32Bits));
    }

    [Fact]
    public void GgufHoldsLlamaCppGlm4MetadataAndNames()
    {
        using var temp = new TempFolder();
        string hf = Path.Combine(temp.Path, "tiny-glm4"), gguf = temp.File("tiny.gguf");
        var config = Tiny();
        var values = WriteFolder(hf, config);
        GgufConvert.HfToGguf(hf, gguf, GgmlType.F16);

        using var file = GgufFile.Open(gguf);
        var meta = file.Metadata;
        Assert.Equal("glm4", meta.GetString("general.architecture"));
        Assert.Equal(128u, meta.GetUInt32("glm4.context_length"));
        Assert.Equal(16u, meta.GetUInt32("glm4.embedding_length"));
        Assert.Equal(24u, meta.GetUInt32("glm4.feed_forward_length"));
        Assert.Equal(2u, meta.GetUInt32("glm4.block_count"));
        Assert.Equal(4u, meta.GetUInt32("glm4.attention.head_count"));
        Assert.Equal(2u, meta.GetUInt32("glm4.attention.head_count_kv"));
        Assert.Equal(8u, meta.GetUInt32("glm4.attention.key_length"));
        Assert.Equal(4u, meta.GetUInt32("glm4.rope.dimension_count"));
        Assert.Equal(10000f, meta.GetFloat32("glm4.rope.freq_base"));
        Assert.Equal(1e-5f, meta.GetFloat32("glm4.attention.layer_norm_rms_epsilon"));
        Assert.Equal(3u, meta.GetUInt32("tokenizer.ggml.eos_token_id"));

        // llama.cpp's names and GGUF dims (innermost first); 1-D tensors stay F32, matrices are F16.
        Assert.Equal([16, 40], file.GetInfo("token_embd.weight").Dims);
        Assert.Equal([16, 32], file.GetInfo("blk.1.attn_q.weight").Dims);
        Assert.Equal([16, 16], file.GetInfo("blk.1.attn_k.weight").Dims);
        Assert.Equal([32, 16], file.GetInfo("blk.0.attn_output.weight").Dims);
        Assert.Equal([16, 48], file.GetInfo("blk.0.ffn_up.weight").Dims);
        Assert.Equal(GgmlType.F16, file.GetInfo("blk.0.ffn_up.weight").Type);
        Assert.Equal(GgmlType.F32, file.GetInfo("blk.0.attn_v.bias").Type);
        // The naming trap: HF post_attention_layernorm is the pre-MLP ffn_norm; post_self_attn_layernorm is post_attention_norm.
        Assert.Equal(values["model.layers.0.post_attention_layernorm.weight"], file.ReadFloat32("blk.0.ffn_norm.weight"));
        Assert.Equal(values["model.layers.0.post_self_attn_layernorm.weight"], file.ReadFloat32("blk.0.post_attention_norm.weight"));
        Assert.Equal(values["model.layers.1.post_mlp_layernorm.weight"], file.ReadFloat32("blk.1.post_ffw_norm.weight"));

        var layout = GgufGlmLayout.Read(file);
        Assert.Equal("glm4", layout.HyperParameters.Architecture);
        Assert.All(layout.Layers, l => Assert.NotNull(l.PostFfwNorm));
        Assert.Equal("output.weight", layout.Output);
    }
}
