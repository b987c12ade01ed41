using Glm.Inference.Generation;
using Glm.Inference.Sampling;
using Glm.LlamaCpp.Tests;

namespace Glm.Inference.Tests;

public sealed class GeneratorTests
{
    [Fact]
    public void Greedy_generation_follows_the_model_and_honours_stops_and_max_tokens()
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(500, seed: 51);
        using var engine = new Engine(checkpoint.Folder);
        int[] prompt = Logits.PromptIds(checkpoint);
        int[] expected = engine.Greedy(prompt, 6);
        var generator = new Generator(engine.Model, checkpoint.Tokenizer, engine.File.EosTokenIds);

        var all = generator.Generate(prompt, new GenerationOptions { MaxTokens = 6, StopTokenIds = [] });
        Assert.Equal(expected, all.Ids);
        Assert.Equal(FinishReason.Length, all.FinishReason);
        Assert.Equal(checkpoint.Tokenizer.Decode(expected, skipSpecialTokens: true), all.Text);

        var stopped = generator.Generate(prompt, new GenerationOptions { MaxTokens = 6, StopTokenIds = [expected[2]] });
        Assert.Equal(expected[..2], stopped.Ids);
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);

        Assert.Contains(checkpoint.Tokenizer.Special.User, generator.DefaultStopTokenIds);
        Assert.Contains(checkpoint.Tokenizer.Special.Observation, generator.DefaultStopTokenIds);
        Assert.Contains(checkpoint.Tokenizer.Special.EndOfText, generator.DefaultStopTokenIds);
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_through_the_generator()
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(500, seed: 52);
        using var engine = new Engine(checkpoint.Folder);
        var generator = new Generator(engine.Model, checkpoint.Tokenizer, engine.File.EosTokenIds);
        var options = new GenerationOptions { MaxTokens = 12, StopTokenIds = [], Sampling = new SamplingOptions { Temperature = 1.2, TopP = 0.95, Seed = 8 } };
        int[] prompt = Logits.PromptIds(checkpoint);
        Assert.Equal(generator.Generate(prompt, options).Ids, generator.Generate(prompt, options).Ids);
    }
}
