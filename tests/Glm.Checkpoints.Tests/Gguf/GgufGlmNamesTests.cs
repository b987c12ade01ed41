using Glm.Checkpoints.Gguf;

namespace Glm.Checkpoints.Tests.Gguf;

public class GgufGlmNamesTests
{
    [Theory]
    [InlineData("transformer.embedding.word_embeddings.weight", "token_embd.weight")]
    [InlineData("transformer.encoder.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight")]
    [InlineData("transformer.encoder.layers.1.self_attention.query_key_value.weight", "blk.1.attn_qkv.weight")]
    [InlineData("transformer.encoder.layers.1.self_attention.query_key_value.bias", "blk.1.attn_qkv.bias")]
    [InlineData("transformer.encoder.layers.0.self_attention.dense.weight", "blk.0.attn_output.weight")]
    [InlineData("transformer.encoder.layers.0.post_attention_layernorm.weight", "blk.0.ffn_norm.weight")]
    [InlineData("transformer.encoder.layers.1.mlp.dense_h_to_4h.weight", "blk.1.ffn_up.weight")]
    [InlineData("transformer.encoder.layers.1.mlp.dense_4h_to_h.weight", "blk.1.ffn_down.weight")]
    [InlineData("transformer.encoder.layers.39.mlp.dense_4h_to_h.weight", "blk.39.ffn_down.weight")]
    [InlineData("transformer.encoder.final_layernorm.weight", "output_norm.weight")]
    [InlineData("transformer.output_layer.weight", "output.weight")]
    public void MapsBothWays(string hf, string gguf)
    {
        Assert.True(GgufGlmNames.TryToGguf(hf, out var toGguf));
        Assert.Equal(gguf, toGguf);
        Assert.True(GgufGlmNames.TryToHf(gguf, out var toHf));
        Assert.Equal(hf, toHf);
    }

    [Theory]
    [InlineData("transformer.encoder.layers.0.self_attention.q_proj.weight")]
    [InlineData("transformer.encoder.layers.01.input_layernorm.weight")]
    [InlineData("model.embed_tokens.weight")]
    [InlineData("transformer.rotary_pos_emb.inv_freq")]
    [InlineData("")]
    public void UnknownHfNames(string hf) => Assert.False(GgufGlmNames.TryToGguf(hf, out _));

    [Theory]
    [InlineData("blk.0.attn_q.weight")]
    [InlineData("blk.0.post_attention_norm.weight")]
    [InlineData("blk.x.attn_norm.weight")]
    [InlineData("rope_freqs.weight")]
    public void UnknownGgufNames(string gguf) => Assert.False(GgufGlmNames.TryToHf(gguf, out _));

    [Fact]
    public void InvFreqIsIgnored()
    {
        Assert.True(GgufGlmNames.IsIgnoredHf("transformer.rotary_pos_emb.inv_freq"));
        Assert.False(GgufGlmNames.IsIgnoredHf("transformer.output_layer.weight"));
    }

    [Fact]
    public void TwoLayerTensorListBothWays()
    {
        var config = TinyChatGlm.Config();
        var names = GgufGlmNames.ChatGlmTensors(config);
        Assert.Equal(
        [
            "token_embd.weight",
            "blk.0.attn_norm.weight", "blk.0.attn_qkv.weight", "blk.0.attn_qkv.bias", "blk.0.attn_output.weight",
            "blk.0.ffn_norm.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight",
            "blk.1.attn_norm.weight", "blk.1.attn_qkv.weight", "blk.1.attn_qkv.bias", "blk.1.attn_output.weight",
            "blk.1.ffn_norm.weight", "blk.1.ffn_up.weight", "blk.1.ffn_down.weight",
            "output_norm.weight", "output.weight",
        ], names.Select(n => n.Gguf));
        foreach (var name in names)
        {
            Assert.True(GgufGlmNames.TryToGguf(name.Hf, out var gguf));
            Assert.Equal(name.Gguf, gguf);
            Assert.True(GgufGlmNames.TryToHf(name.Gguf, out var hf));
            Assert.Equal(name.Hf, hf);
        }
        var byName = names.ToDictionary(n => n.Gguf, n => n.Shape);
        Assert.Equal([40L, 16L], byName["token_embd.weight"]);
        Assert.Equal([16L + 2 * 2 * 4, 16L], byName["blk.0.attn_qkv.weight"]);
        Assert.Equal([2L * 24, 16L], byName["blk.0.ffn_up.weight"]);
        Assert.Equal([16L, 24L], byName["blk.1.ffn_down.weight"]);
    }

    [Fact]
    public void BiasesAndTyingFollowTheConfig()
    {
        var names = GgufGlmNames.ChatGlmTensors(TinyChatGlm.Config(addBiasLinear: true, tie: true)).Select(n => n.Gguf).ToList();
        Assert.Contains("blk.1.attn_output.bias", names);
        Assert.Contains("blk.1.ffn_up.bias", names);
        Assert.Contains("blk.1.ffn_down.bias", names);
        Assert.DoesNotContain("output.weight", names);
        var noQkvBias = GgufGlmNames.ChatGlmTensors(TinyChatGlm.Config() with { AddQkvBias = false }).Select(n => n.Gguf);
        Assert.DoesNotContain("blk.0.attn_qkv.bias", noQkvBias);
    }
}
