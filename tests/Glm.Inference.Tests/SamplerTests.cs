using Glm.Inference.Sampling;

namespace Glm.Inference.Tests;

public sealed class SamplerTests
{
    private static readonly float[] Logits = [0.1f, 2.0f, 1.5f, -1f, 1.9f, 0.5f, 3.0f, 0.0f];

    private static int[] Draw(SamplingOptions options, int count, ReadOnlySpan<int> history = default)
    {
        var sampler = new Sampler(options, Logits.Length);
        var ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = sampler.Sample(Logits, history);
        return ids;
    }

    [Fact]
    public void Temperature_zero_is_argmax()
    {
        Assert.All(Draw(SamplingOptions.Greedy, 20), id => Assert.Equal(6, id));
        Assert.All(Draw(new SamplingOptions { Temperature = 0, TopK = 3, Seed = 4 }, 20), id => Assert.Equal(6, id));
    }

    [Fact]
    public void Same_seed_gives_the_same_tokens_and_another_seed_differs()
    {
        var options = new SamplingOptions { Temperature = 1.5, Seed = 1234 };
        int[] a = Draw(options, 200), b = Draw(options, 200), c = Draw(options with { Seed = 99 }, 200);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.True(a.Distinct().Count() > 3, "high temperature should spread the picks");
    }

    [Fact]
    public void Top_k_keeps_only_the_k_most_likely()
    {
        int[] ids = Draw(new SamplingOptions { Temperature = 5, TopK = 2, Seed = 7 }, 500);
        Assert.All(ids, id => Assert.Contains(id, new[] { 6, 1 }));
        Assert.Equal(2, ids.Distinct().Count());
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_reaching_p()
    {
        // Probabilities at T=1: 6 ≈ 0.470, 1 ≈ 0.173, 4 ≈ 0.156, 2 ≈ 0.105 ...; p = 0.7 keeps {6, 1, 4} (0.643 < 0.7 ≤ 0.799).
        int[] ids = Draw(new SamplingOptions { Temperature = 1, TopP = 0.7, Seed = 3 }, 1000);
        Assert.Equal(new[] { 1, 4, 6 }, ids.Distinct().Order().ToArray());
    }

    [Fact]
    public void Top_p_over_a_large_vocabulary_reaches_into_a_long_tail()
    {
        // 151,552 candidates: three likely tokens with 0.85 of the mass, the rest equally likely with 0.15 between them.
        // p = 0.9 keeps the three and a slice of the tail worth 0.05 (about 5.6% of the picks); p = 0.45 keeps token 0.
        const int n = 151_552;
        var logits = new float[n];
        float tail = MathF.Log(0.15f / (n - 3));
        Array.Fill(logits, tail);
        (logits[0], logits[1], logits[2]) = (MathF.Log(0.5f), MathF.Log(0.25f), MathF.Log(0.1f));
        var wide = new Sampler(new SamplingOptions { Temperature = 1, TopP = 0.9, Seed = 11 }, n);
        int[] ids = Enumerable.Range(0, 1500).Select(_ => wide.Sample(logits, default)).ToArray();
        double tailShare = ids.Count(id => id >= 3) / 1500.0;
        Assert.InRange(tailShare, 0.035, 0.08);
        Assert.InRange(ids.Count(id => id == 0) / 1500.0, 0.50, 0.62); // 0.5 / 0.9
        var narrow = new Sampler(new SamplingOptions { Temperature = 1, TopP = 0.45, Seed = 11 }, n);
        Assert.All(Enumerable.Range(0, 200).Select(_ => narrow.Sample(logits, default)), id => Assert.Equal(0, id));
    }

    [Fact]
    public void Min_p_drops_tokens_far_below_the_top()
    {
        // exp(x − 3) ≥ 0.3 ⇔ x ≥ 3 + ln 0.3 ≈ 1.80: ids 6, 1, 4.
        int[] ids = Draw(new SamplingOptions { Temperature = 1, MinP = 0.3, Seed = 5 }, 1000);
        Assert.Equal(new[] { 1, 4, 6 }, ids.Distinct().Order().ToArray());
    }

    [Fact]
    public void Penalties_push_away_from_seen_tokens()
    {
        Assert.Equal(1, Draw(new SamplingOptions { RepetitionPenalty = 2 }, 1, [6])[0]); // 3.0 / 2 = 1.5 < 2.0
        Assert.Equal(4, Draw(new SamplingOptions { PresencePenalty = 1.2 }, 1, [6, 1])[0]);
        Assert.Equal(1, Draw(new SamplingOptions { FrequencyPenalty = 0.6 }, 1, [6, 6])[0]); // 3.0 − 1.2 = 1.8 < 2.0
    }

    [Fact]
    public void Ids_beyond_the_candidates_are_never_picked()
    {
        var sampler = new Sampler(SamplingOptions.Greedy, 5);
        Assert.Equal(1, sampler.Sample(Logits, default)); // id 6 is padding here
    }

    [Fact]
    public void Bad_options_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingOptions { TopP = 0 }, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingOptions { Temperature = -1 }, 4));
    }
}
