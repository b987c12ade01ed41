using Glm.Core;
using Glm.Core.Configs;

namespace Glm.Core.Tests.Configs;

public class ConfigValidationTests
{
    private static readonly ChatGlmConfig Glm4Like = new()
    {
        PaddedVocabSize = 151552, HiddenSize = 4096, NumLayers = 40, NumAttentionHeads = 32, KvChannels = 128,
        MultiQueryGroupNum = 2, FfnHiddenSize = 13696, SeqLength = 131072, RopeRatio = 500, LayerNormEpsilon = 1.5625e-7,
    };

    [Fact]
    public void Glm4_9b_derived_sizes_match_the_checkpoint()
    {
        var c = Glm4Like.Validate();
        Assert.Equal(2, c.KvHeads);
        Assert.Equal(4608, c.QkvSize);
        Assert.Equal(64, c.RotaryDim);
        Assert.Equal(5e6, c.RopeBase);
    }

    [Fact]
    public void Multi_query_attention_off_means_one_kv_head_per_query_head()
    {
        Assert.Equal(32, (Glm4Like with { MultiQueryAttention = false }).KvHeads);
    }

    [Theory]
    [InlineData(30, "num_attention_heads 32 is not a multiple of multi_query_group_num 30")]
    [InlineData(0, "multi_query_group_num must be a positive integer, got 0")]
    public void Bad_kv_groups_are_named(int groups, string message)
    {
        var e = Assert.Throws<GlmException>(() => (Glm4Like with { MultiQueryGroupNum = groups }).Validate());
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Rope_needs_pairs_in_half_of_each_head()
    {
        var e = Assert.Throws<GlmException>(() => (Glm4Like with { KvChannels = 6 }).Validate());
        Assert.Contains("kv_channels 6", e.Message);
    }

    [Fact]
    public void Glm_hidden_size_must_split_into_heads()
    {
        var config = new GlmConfig { VocabSize = 100, HiddenSize = 30, NumLayers = 1, NumAttentionHeads = 4, MaxSequenceLength = 16 };
        var e = Assert.Throws<GlmException>(() => config.Validate());
        Assert.Equal("hidden_size 30 is not divisible by num_attention_heads 4", e.Message);
    }

    [Fact]
    public void Glm_defaults_follow_the_paper()
    {
        var config = new GlmConfig { VocabSize = 100, HiddenSize = 32, NumLayers = 1, NumAttentionHeads = 4, MaxSequenceLength = 16 }.Validate();
        Assert.Equal(128, config.FfnSize);
        Assert.Equal(8, config.HeadDim);
        Assert.True(config.BlockPositionEncoding);
    }

    [Fact]
    public void Epsilon_out_of_range_is_named()
    {
        var e = Assert.Throws<GlmException>(() => (Glm4Like with { LayerNormEpsilon = 0 }).Validate());
        Assert.StartsWith("layernorm_epsilon", e.Message);
    }
}
