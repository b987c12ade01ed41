using Glm.Inference.Sampling;
using Glm.LlamaCpp.Tests;
using Xunit.Abstractions;

namespace Glm.Inference.Tests;

/// <summary>architecture.md: "the decode step allocates nothing, and a test proves it".</summary>
public sealed class DecodeAllocationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Decode_steps_allocate_nothing_after_warm_up(int threads)
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(500, seed: 41);
        using var engine = new Engine(checkpoint.Folder, threads);
        var model = engine.Model;
        // Warm-up: first calls JIT and run static initialisers (tiered compilation is off in this project).
        for (int round = 0; round < 20; round++)
        {
            model.Reset();
            model.Prefill(Logits.PromptIds(checkpoint));
            for (int i = 0; i < 20; i++) model.Decode(5 + i);
        }
        model.Reset();
        model.Prefill(Logits.PromptIds(checkpoint));

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 16; i++) model.Decode(10 + i);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{threads} thread(s): {allocated} bytes over 16 decode steps");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Sampling_allocates_nothing_after_warm_up()
    {
        var logits = Enumerable.Range(0, 5000).Select(i => MathF.Sin(i * 0.37f) * 4).ToArray();
        int[] history = [1, 2, 3, 2, 40];
        var samplers = new[]
        {
            new Sampler(SamplingOptions.Greedy, logits.Length),
            new Sampler(new SamplingOptions { Temperature = 0.8, Seed = 1, RepetitionPenalty = 1.1, PresencePenalty = 0.2 }, logits.Length),
            new Sampler(new SamplingOptions { Temperature = 0.8, TopK = 40, TopP = 0.9, MinP = 0.05, Seed = 1 }, logits.Length),
        };
        foreach (var sampler in samplers) sampler.Sample(logits, history);

        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var sampler in samplers)
            for (int i = 0; i < 8; i++) sampler.Sample(logits, history);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
