using System.Text.Json;
using Glm.Checkpoints.Gguf;
using Glm.Checkpoints.HuggingFace;
using Glm.Checkpoints.Safetensors;
using Glm.Core;
using Glm.Core.Configs;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Tests.Gguf;

public class GgufConvertTests
{
    private static string Json(ChatGlmConfig config) => JsonSerializer.Serialize(config);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void HfToGgufToHfIsExactForF32(bool biases, bool tie)
    {
        using var temp = new TempFolder();
        string hf = Path.Combine(temp.Path, "tiny-chatglm"), gguf = temp.File("tiny.gguf"), back = Path.Combine(temp.Path, "back");
        var config = TinyChatGlm.Config(biases, tie);
        var values = TinyChatGlm.WriteFolder(hf, config);

        GgufConvert.HfToGguf(hf, gguf);
        GgufConvert.GgufToHf(gguf, back);

        var roundTripped = ModelConfigFile.Read(back).ChatGlm!;
        Assert.Equal(Json(config), Json(roundTripped));
        using var weights = SafetensorsModel.Open(back);
        Assert.Equal(values.Keys.Order(), weights.Tensors.Keys.Order());
        foreach (var (name, expected) in values)
        {
            Assert.Equal(DType.F32, weights.GetInfo(name).DType);
            Assert.Equal(expected.Select(BitConverter.SingleToUInt32Bits), weights.ReadFloat32(name).Select(BitConverter.SingleToUInt32Bits));
        }
    }

    [Fact]
    public void GgufHoldsLlamaCppChatGlmMetadataAndLayout()
    {
        using var temp = new TempFolder();
        string hf = Path.Combine(temp.Path, "tiny-chatglm"), gguf = temp.File("tiny.gguf");
        var values = TinyChatGlm.WriteFolder(hf, TinyChatGlm.Config());
        GgufConvert.HfToGguf(hf, gguf);

        using var file = GgufFile.Open(gguf);
        var meta = file.Metadata;
        Assert.Equal("chatglm", file.Architecture);
        Assert.Equal("tiny-chatglm", meta.GetString("general.name"));
        Assert.Equal(0u, meta.GetUInt32("general.file_type"));
        Assert.Equal(64u, meta.GetUInt32("chatglm.context_length"));
        Assert.Equal(16u, meta.GetUInt32("chatglm.embedding_length"));
        Assert.Equal(24u, meta.GetUInt32("chatglm.feed_forward_length"));
        Assert.Equal(2u, meta.GetUInt32("chatglm.block_count"));
        Assert.Equal(4u, meta.GetUInt32("chatglm.attention.head_count"));
        Assert.Equal(2u, meta.GetUInt32("chatglm.attention.head_count_kv"));
        Assert.Equal(1.5625e-7f, meta.GetFloat32("chatglm.attention.layer_norm_rms_epsilon"));
        Assert.Equal(2u, meta.GetUInt32("chatglm.rope.dimension_count"));
        Assert.Equal(5_000_000f, meta.GetFloat32("chatglm.rope.freq_base"));
        Assert.False(meta.GetBool("tokenizer.ggml.add_bos_token"));
        Assert.Equal(2u, meta.GetUInt32("tokenizer.ggml.eos_token_id"));
        Assert.Equal(2u, meta.GetUInt32("tokenizer.ggml.padding_token_id"));

        Assert.False(file.Contains("rope_freqs") || file.Tensors.Any(t => t.Name.Contains("inv_freq")));
        var up = file.GetInfo("blk.1.ffn_up.weight");
        Assert.Equal([16L, 48L], up.Dims);
        Assert.Equal(values["transformer.encoder.layers.1.mlp.dense_h_to_4h.weight"], file.ReadFloat32(up.Name));

        var layout = GgufGlmLayout.Read(file);
        Assert.Equal(new GgufGlmHyperParameters("chatglm", 40, 64, 16, 24, 2, 4, 2, 4, 1.5625e-7f, 2, 5_000_000f), layout.HyperParameters);
        Assert.Equal("output.weight", layout.Output);
        Assert.Equal(2, layout.Layers.Count);
        Assert.Equal("blk.1.attn_qkv.weight", layout.Layers[1].AttnQkv);
        Assert.Equal("blk.1.attn_qkv.bias", layout.Layers[1].AttnQkvBias);
        Assert.Null(layout.Layers[1].AttnQ);
        Assert.Null(layout.Layers[1].FfnGate);
        Assert.Null(layout.Layers[1].PostAttentionNorm);
    }

    [Fact]
    public void F16OutputKeepsVectorsF32()
    {
        using var temp = new TempFolder();
        string hf = Path.Combine(temp.Path, "m"), gguf = temp.File("m.gguf"), back = Path.Combine(temp.Path, "back");
        var values = TinyChatGlm.WriteFolder(hf, TinyChatGlm.Config());
        GgufConvert.HfToGguf(hf, gguf, GgmlType.F16, name: "custom");
        using (var file = GgufFile.Open(gguf))
        {
            Assert.Equal("custom", file.Metadata.GetString("general.name"));
            Assert.Equal(1u, file.Metadata.GetUInt32("general.file_type"));
            Assert.Equal(GgmlType.F16, file.GetInfo("blk.0.attn_qkv.weight").Type);
            Assert.Equal(GgmlType.F32, file.GetInfo("blk.0.attn_qkv.bias").Type);
            Assert.Equal(GgmlType.F32, file.GetInfo("output_norm.weight").Type);
        }
        GgufConvert.GgufToHf(gguf, back);
        Assert.Equal("float16", ModelConfigFile.Read(back).ChatGlm!.TorchDtype);
        using var weights = SafetensorsModel.Open(back);
        string qkv = "transformer.encoder.layers.0.self_attention.query_key_value.weight";
        Assert.Equal(DType.F16, weights.GetInfo(qkv).DType);
        Assert.Equal(values[qkv].Select(v => (float)(Half)v), weights.ReadFloat32(qkv));
    }

    [Fact]
    public void Bf16SourceBytesAreKept()
    {
        using var temp = new TempFolder();
        string hf = Path.Combine(temp.Path, "m"), gguf = temp.File("m.gguf"), back = Path.Combine(temp.Path, "back");
        TinyChatGlm.WriteFolder(hf, TinyChatGlm.Config() with { TorchDtype = "bfloat16" }, DType.BF16);
        GgufConvert.HfToGguf(hf, gguf);
        GgufConvert.GgufToHf(gguf, back);
        using var source = SafetensorsModel.Open(hf);
        using var file = GgufFile.Open(gguf);
        Assert.Equal(32u, file.Metadata.GetUInt32("general.file_type"));
        string name = "transformer.output_layer.weight";
        Assert.Equal(source.GetBytes(name).ToArray(), file.GetBytes("output.weight").ToArray());
        using var weights = SafetensorsModel.Open(back);
        Assert.Equal(source.GetBytes(name).ToArray(), weights.GetBytes(name).ToArray());
        Assert.Equal("bfloat16", ModelConfigFile.Read(back).ChatGlm!.TorchDtype);
    }

    [Fact]
    public void UnexpectedHfTensorIsNamed()
    {
        using var temp = new TempFolder();
        string hf = Path.Combine(temp.Path, "m");
        var config = TinyChatGlm.Config();
        TinyChatGlm.WriteFolder(hf, config);
        // A config with one layer fewer than the weights: layer 1's tensors are unexpected.
        ModelConfigFile.Write(hf, config with { NumLayers = 1 });
        var error = Assert.Throws<GlmException>(() => GgufConvert.HfToGguf(hf, temp.File("m.gguf")));
        Assert.Contains("transformer.encoder.layers.1.", error.Message);
        Assert.False(File.Exists(temp.File("m.gguf")));
    }

    [Fact]
    public void MissingHfTensorIsNamed()
    {
        using var temp = new TempFolder();
        string hf = Path.Combine(temp.Path, "m");
        var config = TinyChatGlm.Config();
        TinyChatGlm.WriteFolder(hf, config);
        ModelConfigFile.Write(hf, config with { AddBiasLinear = true });
        var error = Assert.Throws<GlmException>(() => GgufConvert.HfToGguf(hf, temp.File("m.gguf")));
        Assert.Contains("'transformer.encoder.layers.0.self_attention.dense.bias'", error.Message);
    }

    [Fact]
    public void QuantizedGgufDoesNotConvertBack()
    {
        using var temp = new TempFolder();
        string gguf = temp.File("q.gguf");
        var config = TinyChatGlm.Config() with { HiddenSize = 32, KvChannels = 8, FfnHiddenSize = 32 };
        var writer = new GgufWriter();
        GgufChatGlmConfig.Write(writer, config);
        foreach (var tensor in GgufGlmNames.ChatGlmTensors(config))
        {
            long count = tensor.Shape.Aggregate(1L, (a, b) => a * b);
            if (tensor.Gguf == "blk.0.ffn_down.weight")
                writer.AddRaw(tensor.Gguf, GgmlType.Q8_0, tensor.Shape, new byte[GgmlTypes.ByteLength(GgmlType.Q8_0, tensor.Shape.Reverse().ToArray())]);
            else
                writer.AddFloat32(tensor.Gguf, GgmlType.F32, tensor.Shape, new float[count]);
        }
        writer.Write(gguf);
        var error = Assert.Throws<GlmException>(() => GgufConvert.GgufToHf(gguf, Path.Combine(temp.Path, "back")));
        Assert.Contains("'blk.0.ffn_down.weight'", error.Message);
        Assert.Contains("Q8_0", error.Message);
    }

    [Fact]
    public void ReadingAConfigFromAnotherArchitectureFails()
    {
        using var temp = new TempFolder();
        string path = temp.File("llama.gguf");
        new GgufWriter().SetString("general.architecture", "llama").Write(path);
        using var file = GgufFile.Open(path);
        Assert.Contains("'llama'", Assert.Throws<GlmException>(() => GgufChatGlmConfig.Read(file)).Message);
        Assert.Contains("'llama'", Assert.Throws<GlmException>(() => GgufGlmLayout.Read(file)).Message);
    }

    [Fact]
    public void TokenizerJsonBecomesGpt2Vocabulary()
    {
        using var temp = new TempFolder();
        string hf = Path.Combine(temp.Path, "m"), gguf = temp.File("m.gguf");
        var config = TinyChatGlm.Config() with { EosTokenId = null };
        TinyChatGlm.WriteFolder(hf, config);
        File.WriteAllText(Path.Combine(hf, "tokenizer.json"), """
            {"version":"1.0","added_tokens":[
              {"id":36,"content":"<|endoftext|>","special":true},
              {"id":37,"content":"<|user|>","special":true},
              {"id":38,"content":"hello","special":false}],
             "model":{"type":"BPE","vocab":{"a":0,"b":1,"Ġ":2,"ab":3,"Ġab":4},"merges":["a b",["Ġ","ab"]]}}
            """);
        GgufConvert.HfToGguf(hf, gguf);
        using var file = GgufFile.Open(gguf);
        var meta = file.Metadata;
        Assert.Equal("gpt2", meta.GetString("tokenizer.ggml.model"));
        Assert.Equal("chatglm-bpe", meta.GetString("tokenizer.ggml.pre"));
        var tokens = meta.GetStringArray("tokenizer.ggml.tokens");
        Assert.Equal(40, tokens.Count);
        Assert.Equal(["a", "b", "Ġ", "ab", "Ġab", "[PAD5]"], tokens.Take(6));
        Assert.Equal("<|endoftext|>", tokens[36]);
        var types = meta.GetArray<int>("tokenizer.ggml.token_type");
        Assert.Equal([1, 1, 1, 1, 1, 5], types.Take(6));
        Assert.Equal([3, 3, 4, 5], types.Skip(36));
        Assert.Equal(["a b", "Ġ ab"], meta.GetStringArray("tokenizer.ggml.merges"));
        Assert.Equal(36u, meta.GetUInt32("tokenizer.ggml.eos_token_id"));
        Assert.Equal(36u, meta.GetUInt32("tokenizer.ggml.unknown_token_id"));
        Assert.Equal(37u, meta.GetUInt32("tokenizer.ggml.eot_token_id"));
    }

    [Fact]
    public void MissingHyperParameterIsNamed()
    {
        using var temp = new TempFolder();
        string hf = Path.Combine(temp.Path, "m"), gguf = temp.File("m.gguf");
        TinyChatGlm.WriteFolder(hf, TinyChatGlm.Config());
        GgufConvert.HfToGguf(hf, gguf);
        string broken = temp.File("broken.gguf");
        var writer = new GgufWriter();
        using (var file = GgufFile.Open(gguf))
        {
            foreach (var (key, value) in file.Metadata.Where(kv => kv.Key != "chatglm.block_count")) writer.Set(key, value);
            foreach (var tensor in file.Tensors) writer.AddRaw(tensor.Name, tensor.Type, tensor.Shape, file.GetBytes(tensor.Name));
        }
        writer.Write(broken);
        using var reopened = GgufFile.Open(broken);
        var error = Assert.Throws<GlmException>(() => GgufChatGlmConfig.Read(reopened));
        Assert.Contains("'chatglm.block_count'", error.Message);
        Assert.Contains(broken, error.Message);
    }
}
