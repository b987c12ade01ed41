using Glm.Core;
using Glm.Server.Models;
using Glm.Server.Tests.TestDoubles;

namespace Glm.Server.Tests.Models;

public sealed class ModelRegistryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("glm-registry-test").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string json)
    {
        string file = Path.Combine(_folder, "models.json");
        File.WriteAllText(file, json);
        return file;
    }

    [Fact]
    public void A_valid_file_loads_with_defaults_and_paths_relative_to_the_file()
    {
        var registry = ModelRegistry.Load(Write(RunningServer.Registry));

        var glm4 = registry.Find("glm-4")!;
        Assert.Equal(Path.Combine(_folder, "glm4"), glm4.Checkpoint);
        Assert.Equal(new ModelRateLimits(8, 0, 0), glm4.RateLimits);
        Assert.Equal(100m, glm4.Pricing.OutputPerMillion);
        var embedding = registry.Find("embedding-3")!;
        Assert.Equal(ModelKind.Embedding, embedding.Kind);
        Assert.Equal(512, embedding.MaxOutputTokens);
        Assert.Equal(512, embedding.DefaultMaxTokens);
        Assert.Equal((8, 64), (glm4.Parallel, glm4.MaxQueue));
        Assert.Null(registry.Find("glm-5"));
    }

    [Theory]
    [InlineData("""{"models":{"glm-4":{"context_window":8}}}""", "models.glm-4.checkpoint is required")]
    [InlineData("""{"models":{"glm-4":{"checkpoint":"x","context_window":-1}}}""", "models.glm-4.context_window must be an integer >= 1 (got -1)")]
    [InlineData("""{"models":{"glm-4":{"checkpoint":"x","context_window":8,"max_output_tokens":9}}}""", "models.glm-4.max_output_tokens (9) exceeds context_window (8)")]
    [InlineData("""{"models":{"glm-4":{"checkpoint":"x","context_window":8,"quantization":"q3"}}}""", "models.glm-4.quantization must be one of")]
    [InlineData("""{"models":{"glm-4":{"checkpoint":"x","context_window":8,"price_per_million_input":"free"}}}""", "models.glm-4.price_per_million_input must be a number >= 0")]
    [InlineData("""{"models":{"glm 4":{"checkpoint":"x","context_window":8}}}""", "models.glm 4: a model name is")]
    [InlineData("""{"models":{"glm-4":{"checkpoint":"x","context_window":8,"rate_limits":{"concurrency":-2}}}}""", "models.glm-4.rate_limits.concurrency must be an integer >= 0")]
    [InlineData("""{"models":{"glm-4":{"checkpoint":"x","context_window":8,"parallel":0}}}""", "models.glm-4.parallel must be an integer >= 1 (got 0)")]
    [InlineData("""{"models":{"glm-4":{"checkpoint":"x","context_window":8,"parallel":65}}}""", "models.glm-4.parallel must be at most 64 (got 65)")]
    [InlineData("""{"models":{"glm-4":{"checkpoint":"x","context_window":8,"max_queue":-1}}}""", "models.glm-4.max_queue must be an integer >= 0")]
    [InlineData("""{"model":{}}""", "expected an object with a \"models\" object")]
    [InlineData("""{"models":{""", "not valid JSON")]
    public void Errors_name_the_file_and_the_field(string json, string expected)
    {
        string file = Write(json);
        var error = Assert.Throws<GlmException>(() => ModelRegistry.Load(file));
        Assert.StartsWith(file + ": ", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
