using Glm.Checkpoints.HuggingFace;
using Glm.Core;

namespace Glm.Checkpoints.Tests.HuggingFace;

public class GenerationConfigFileTests
{
    [Fact]
    public void RealGlm4GenerationConfig_Reads()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("generation_config.json"), RealConfigs.Glm4GenerationConfig);
        var config = GenerationConfigFile.TryRead(temp.Path)!;
        Assert.Equal([151329, 151336, 151338], config.EosTokenIds!);
        Assert.Equal(151329, config.PadTokenId);
        Assert.True(config.DoSample);
        Assert.Equal(0.8, config.Temperature);
        Assert.Equal(0.8, config.TopP);
        Assert.Equal(128000, config.MaxLength);
        Assert.Null(config.TopK);
    }

    [Fact]
    public void SingleEosId_ReadsAsAList_AndWritesBackAsANumber()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("generation_config.json"), "{\"eos_token_id\": 2, \"pad_token_id\": 0}");
        var config = GenerationConfigFile.TryRead(temp.Path)!;
        Assert.Equal([2], config.EosTokenIds!);

        GenerationConfigFile.Write(temp.Path, config);
        string text = File.ReadAllText(temp.File("generation_config.json"));
        Assert.Contains("\"eos_token_id\": 2,", text);
        Assert.DoesNotContain("null", text);
    }

    [Fact]
    public void RoundTrip_KeepsEveryField()
    {
        var original = new GenerationConfig
        {
            EosTokenIds = [151329, 151336],
            PadTokenId = 151329,
            MaxLength = 8192,
            DoSample = false,
            Temperature = 0.95,
            TopP = 0.7,
            TopK = 40,
        };
        using var temp = new TempFolder();
        Assert.Equal(temp.File("generation_config.json"), GenerationConfigFile.Write(temp.Path, original));
        var again = GenerationConfigFile.TryRead(temp.Path)!;
        Assert.Equal(original.EosTokenIds, again.EosTokenIds!);
        Assert.Equal(original with { EosTokenIds = again.EosTokenIds }, again);
        Assert.Equal(["generation_config.json"], temp.Names());
    }

    [Fact]
    public void MissingFile_ReadsAsNull()
    {
        using var temp = new TempFolder();
        Assert.Null(GenerationConfigFile.TryRead(temp.Path));
    }

    [Theory]
    [InlineData("{\"top_p\": 1.5}", "top_p")]
    [InlineData("{\"temperature\": -1}", "temperature")]
    [InlineData("{\"max_length\": 0}", "max_length")]
    [InlineData("{\"eos_token_id\": [1, -3]}", "eos_token_id")]
    [InlineData("{\"eos_token_id\": \"</s>\"}", "eos_token_id")]
    public void BadValues_NameTheFileAndField(string json, string field)
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("generation_config.json"), json);
        var error = Assert.Throws<GlmException>(() => GenerationConfigFile.TryRead(temp.Path));
        Assert.Contains(temp.File("generation_config.json"), error.Message);
        Assert.Contains(field, error.Message);
    }
}
