using Glm.Checkpoints.Gguf;
using Glm.Core;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Tests.Gguf;

/// <summary>glm4 (GLM-4-0414) files: separate q/k/v and sandwich norms, read into a layout the engine can use.</summary>
public class GgufGlm4LayoutTests
{
    private const int C = 16, H = 4, Hkv = 2, D = 8, F = 24, V = 40;

    private static void WriteGlm4(string path, bool dropPostFfwNorm = false, int qRows = H * D)
    {
        var w = new GgufWriter()
            .SetString("general.architecture", "glm4")
            .SetUInt32("glm4.context_length", 128)
            .SetUInt32("glm4.embedding_length", C)
            .SetUInt32("glm4.feed_forward_length", F)
            .SetUInt32("glm4.block_count", 1)
            .SetUInt32("glm4.attention.head_count", H)
            .SetUInt32("glm4.attention.head_count_kv", Hkv)
            .SetUInt32("glm4.attention.key_length", D)
            .SetFloat32("glm4.attention.layer_norm_rms_epsilon", 1e-5f)
            .SetUInt32("glm4.rope.dimension_count", D / 2)
            .SetFloat32("glm4.rope.freq_base", 10000f);
        void Add(string name, params long[] shape) => w.AddFloat32(name, GgmlType.F32, shape, new float[shape.Aggregate(1L, (a, b) => a * b)]);
        Add("token_embd.weight", V, C);
        Add("blk.0.attn_norm.weight", C);
        Add("blk.0.attn_q.weight", qRows, C);
        Add("blk.0.attn_q.bias", H * D);
        Add("blk.0.attn_k.weight", Hkv * D, C);
        Add("blk.0.attn_k.bias", Hkv * D);
        Add("blk.0.attn_v.weight", Hkv * D, C);
        Add("blk.0.attn_v.bias", Hkv * D);
        Add("blk.0.attn_output.weight", C, H * D);
        Add("blk.0.post_attention_norm.weight", C);
        Add("blk.0.ffn_norm.weight", C);
        Add("blk.0.ffn_up.weight", 2 * F, C);
        Add("blk.0.ffn_down.weight", C, F);
        if (!dropPostFfwNorm) Add("blk.0.post_ffw_norm.weight", C);
        Add("output_norm.weight", C);
        w.Write(path);
    }

    [Fact]
    public void ReadsSplitAttentionAndSandwichNorms()
    {
        using var temp = new TempFolder();
        var path = temp.File("glm4.gguf");
        WriteGlm4(path);
        using var file = GgufFile.Open(path);
        var layout = GgufGlmLayout.Read(file);
        Assert.Equal(new GgufGlmHyperParameters("glm4", V, 128, C, F, 1, H, Hkv, D, 1e-5f, D / 2, 10000f), layout.HyperParameters);
        var layer = Assert.Single(layout.Layers);
        Assert.Null(layer.AttnQkv);
        Assert.Equal("blk.0.attn_q.weight", layer.AttnQ);
        Assert.Equal("blk.0.attn_k.bias", layer.AttnKBias);
        Assert.Equal("blk.0.post_attention_norm.weight", layer.PostAttentionNorm);
        Assert.Equal("blk.0.ffn_norm.weight", layer.FfnNorm);
        Assert.Equal("blk.0.post_ffw_norm.weight", layer.PostFfwNorm);
        Assert.Equal("blk.0.ffn_up.weight", layer.FfnUp);
        Assert.Equal("token_embd.weight", layout.Output); // no output.weight: tied
    }

    [Fact]
    public void MissingSandwichNormFails()
    {
        using var temp = new TempFolder();
        var path = temp.File("glm4.gguf");
        WriteGlm4(path, dropPostFfwNorm: true);
        using var file = GgufFile.Open(path);
        Assert.Contains("post_ffw_norm", Assert.Throws<GlmException>(() => GgufGlmLayout.Read(file)).Message);
    }

    [Fact]
    public void WrongShapeIsNamed()
    {
        using var temp = new TempFolder();
        var path = temp.File("glm4.gguf");
        WriteGlm4(path, qRows: H * D + 1);
        using var file = GgufFile.Open(path);
        var error = Assert.Throws<GlmException>(() => GgufGlmLayout.Read(file));
        Assert.Contains("'blk.0.attn_q.weight'", error.Message);
        Assert.Contains("[33, 16]", error.Message);
    }
}
