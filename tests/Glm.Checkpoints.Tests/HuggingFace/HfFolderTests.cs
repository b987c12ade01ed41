using Glm.Checkpoints.HuggingFace;
using Glm.Core;

namespace Glm.Checkpoints.Tests.HuggingFace;

public class HfFolderTests
{
    [Fact]
    public void Inspect_ListsWhatTheFolderHas()
    {
        using var temp = new TempFolder();
        foreach (var name in new[] { "config.json", "model.safetensors", "tokenizer.json", "generation_config.json", "README.md" })
            File.WriteAllText(temp.File(name), "{}");

        var folder = HfFolder.Inspect(temp.Path);
        Assert.Equal(["config.json", "model.safetensors", "tokenizer.json", "generation_config.json"], folder.Present);
        Assert.Equal(temp.File("config.json"), folder.RequireConfig());
        Assert.Equal(temp.File("model.safetensors"), folder.RequireWeights());
        Assert.Equal(temp.File("tokenizer.json"), folder.RequireTokenizer());
        Assert.False(folder.IsSharded);
        Assert.Null(folder.TokenizerModelPath);
    }

    [Fact]
    public void Inspect_SeesShardedWeightsAndUpstreamTokenizers()
    {
        using var temp = new TempFolder();
        foreach (var name in new[] { "model.safetensors.index.json", "tokenizer.model", "tokenizer_config.json" })
            File.WriteAllText(temp.File(name), "{}");
        var folder = HfFolder.Inspect(temp.Path);
        Assert.True(folder.IsSharded);
        Assert.Equal(temp.File("tokenizer.model"), folder.RequireTokenizer());
        Assert.Equal(temp.File("tokenizer_config.json"), folder.TokenizerConfigPath);
    }

    [Fact]
    public void Require_NamesTheFolderAndTheMissingFile()
    {
        using var temp = new TempFolder();
        var folder = HfFolder.Inspect(temp.Path);
        Assert.Equal($"model folder {temp.Path} has no config.json", Assert.Throws<GlmException>(folder.RequireConfig).Message);
        Assert.Contains("has no model.safetensors or model.safetensors.index.json", Assert.Throws<GlmException>(folder.RequireWeights).Message);
        Assert.Contains("has no tokenizer.json or tokenizer.model", Assert.Throws<GlmException>(folder.RequireTokenizer).Message);
        Assert.Empty(folder.Present);
    }

    [Fact]
    public void Inspect_RejectsMissingFoldersAndFiles()
    {
        using var temp = new TempFolder();
        var missing = temp.File("nope");
        Assert.Equal($"model folder {missing} does not exist", Assert.Throws<GlmException>(() => HfFolder.Inspect(missing)).Message);
        File.WriteAllText(temp.File("config.json"), "{}");
        Assert.Contains("is a file", Assert.Throws<GlmException>(() => HfFolder.Inspect(temp.File("config.json"))).Message);
    }
}
