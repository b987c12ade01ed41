using System.Text.Json;
using Glm.Checkpoints.HuggingFace;
using Glm.Core;
using Glm.Core.Configs;

namespace Glm.Checkpoints.Tests.HuggingFace;

public class ModelConfigFileTests
{
    private static TempFolder FolderWithConfig(string json)
    {
        var temp = new TempFolder();
        File.WriteAllText(temp.File("config.json"), json);
        return temp;
    }

    private static GlmException ReadFails(string json, params string[] mustMention)
    {
        using var temp = FolderWithConfig(json);
        var error = Assert.Throws<GlmException>(() => ModelConfigFile.Read(temp.Path));
        Assert.Contains(temp.File("config.json"), error.Message);
        foreach (var text in mustMention) Assert.Contains(text, error.Message);
        return error;
    }

    private static string Edit(string json, Action<Dictionary<string, JsonElement>> edit)
    {
        var fields = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;
        edit(fields);
        return JsonSerializer.Serialize(fields);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void RealGlm4_9bChatConfig_Reads()
    {
        using var temp = FolderWithConfig(RealConfigs.Glm4_9bChat);
        var config = ModelConfigFile.Read(temp.Path);
        Assert.Equal(ModelFamily.ChatGlm, config.Family);
        Assert.Null(config.Glm);
        var c = config.ChatGlm!;
        Assert.Equal(151552, c.PaddedVocabSize);
        Assert.Equal(4096, c.HiddenSize);
        Assert.Equal(40, c.NumLayers);
        Assert.Equal(32, c.NumAttentionHeads);
        Assert.Equal(128, c.KvChannels);
        Assert.Equal(2, c.KvHeads);
        Assert.Equal(13696, c.FfnHiddenSize);
        Assert.Equal(131072, c.SeqLength);
        Assert.Equal(1.5625e-07, c.LayerNormEpsilon);
        Assert.Equal(500, c.RopeRatio);
        Assert.Equal(5_000_000, c.RopeBase);
        Assert.True(c.AddQkvBias);
        Assert.False(c.AddBiasLinear);
        Assert.False(c.TieWordEmbeddings);
        Assert.Equal(4608, c.QkvSize);
        Assert.Equal(151329, c.PadTokenId);
        Assert.Equal([151329, 151336, 151338], c.EosTokenId!.Value.EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("bfloat16", c.TorchDtype);
    }

    [Fact]
    public void RealChatGlm3_6bConfig_Reads()
    {
        using var temp = FolderWithConfig(RealConfigs.ChatGlm3_6b);
        var c = ModelConfigFile.Read(temp.Path).ChatGlm!;
        Assert.Equal(65024, c.PaddedVocabSize);
        Assert.Equal(28, c.NumLayers);
        Assert.Equal(1.0, c.RopeRatio);
        Assert.Equal(2, c.EosTokenId!.Value.GetInt32());
        Assert.Equal(0, c.PadTokenId);
    }

    [Fact]
    public void RealGlm10bConfig_ReadsAsTheOriginalGlm()
    {
        using var temp = FolderWithConfig(RealConfigs.Glm10b);
        var config = ModelConfigFile.Read(temp.Path);
        Assert.Equal(ModelFamily.Glm, config.Family);
        Assert.Null(config.ChatGlm);
        Assert.Equal(50048, config.Glm!.VocabSize);
        Assert.Equal(48, config.Glm.NumLayers);
        Assert.Equal(1024, config.Glm.MaxSequenceLength);
        Assert.Equal(16384, config.Glm.FfnSize);
    }

    [Fact]
    public void ChatGlmConfigWithoutModelType_IsRecognised()
    {
        string json = Edit(RealConfigs.Glm4_9bChat, f => { f.Remove("model_type"); f.Remove("architectures"); });
        using var temp = FolderWithConfig(json);
        Assert.Equal(ModelFamily.ChatGlm, ModelConfigFile.Read(temp.Path).Family);
    }

    [Fact]
    public void UnknownModelType_IsNamed()
    {
        ReadFails(Edit(RealConfigs.Glm4_9bChat, f => f["model_type"] = Json("\"llama\"")), "\"llama\"", "does not support");
    }

    [Fact]
    public void NoModelTypeAndNothingRecognisable_IsRejected()
    {
        ReadFails("{\"hidden_size\": 8}", "no model_type");
    }

    [Fact]
    public void TransformersNativeGlm_IsRejectedWithAReason()
    {
        ReadFails("{\"model_type\": \"glm\", \"architectures\": [\"GlmForCausalLM\"], \"vocab_size\": 151552}", "GlmForCausalLM");
    }

    [Fact]
    public void ChatGlmV1_IsRejectedWithAReason()
    {
        ReadFails("{\"model_type\": \"chatglm\", \"vocab_size\": 130528, \"position_encoding_2d\": true}", "ChatGLM-6B (v1)");
    }

    [Fact]
    public void InvalidValue_GivesValidateMessagePrefixedWithTheFile()
    {
        var error = ReadFails(Edit(RealConfigs.Glm4_9bChat, f => f["num_attention_heads"] = Json("33")),
            "num_attention_heads 33 is not a multiple of multi_query_group_num 2");
        Assert.EndsWith("config.json: num_attention_heads 33 is not a multiple of multi_query_group_num 2", error.Message);
    }

    [Fact]
    public void WrongFieldType_NamesFileAndField()
    {
        ReadFails(Edit(RealConfigs.Glm4_9bChat, f => f["hidden_size"] = Json("\"big\"")), "hidden_size");
    }

    [Fact]
    public void BadJson_NamesTheFile()
    {
        ReadFails("{\"model_type\": \"chatglm\",", "not valid JSON");
    }

    [Fact]
    public void MissingConfig_NamesFolderAndFile()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<GlmException>(() => ModelConfigFile.Read(temp.Path));
        Assert.Equal($"model folder {temp.Path} has no config.json", error.Message);
    }

    [Fact]
    public void ChatGlmConfig_RoundTrips_WithHfNames()
    {
        using var source = FolderWithConfig(RealConfigs.Glm4_9bChat);
        var original = ModelConfigFile.Read(source.Path).ChatGlm!;
        using var temp = new TempFolder();
        string written = ModelConfigFile.Write(temp.Path, original);
        Assert.Equal(temp.File("config.json"), written);
        Assert.Equal(["config.json"], temp.Names());

        string text = File.ReadAllText(written);
        Assert.Contains("\n  \"padded_vocab_size\": 151552,", text);
        Assert.Contains("\"model_type\": \"chatglm\"", text);
        Assert.DoesNotContain("KvHeads", text);
        Assert.DoesNotContain("RopeBase", text);

        var again = ModelConfigFile.Read(temp.Path).ChatGlm!;
        Assert.Equal(JsonSerializer.Serialize(original), JsonSerializer.Serialize(again));
        Assert.Equal(original with { Architectures = again.Architectures, EosTokenId = again.EosTokenId }, again);
        Assert.Equal(original.Architectures, again.Architectures);
    }

    [Fact]
    public void GlmConfig_RoundTrips_AndLeavesOutNulls()
    {
        var original = new GlmConfig { VocabSize = 300, HiddenSize = 64, NumLayers = 2, NumAttentionHeads = 4, MaxSequenceLength = 128 };
        using var temp = new TempFolder();
        ModelConfigFile.Write(temp.Path, original);
        string text = File.ReadAllText(temp.File("config.json"));
        Assert.DoesNotContain("null", text);
        Assert.DoesNotContain("intermediate_size", text);
        var again = ModelConfigFile.Read(temp.Path);
        Assert.Equal(ModelFamily.Glm, again.Family);
        Assert.Equal(original with { Architectures = again.Glm!.Architectures }, again.Glm);
    }

    [Fact]
    public void Write_RefusesAnInvalidConfig_AndWritesNothing()
    {
        using var temp = new TempFolder();
        Assert.Throws<GlmException>(() => ModelConfigFile.Write(temp.Path, new ChatGlmConfig()));
        Assert.Empty(temp.Names());
    }
}
