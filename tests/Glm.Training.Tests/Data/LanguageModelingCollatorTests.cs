using Glm.Core;
using Glm.Training.Data;

namespace Glm.Training.Tests.Data;

public class LanguageModelingCollatorTests
{
    private static readonly LanguageModelingCollator Collator = new(new LanguageModelingOptions { SeqLength = 8, Pad = 99 });

    [Fact]
    public void Full_source_shifts_by_one_with_causal_positions()
    {
        int[] source = [10, 11, 12, 13, 14, 15, 16, 17, 18];
        Assert.Equal(9, Collator.MaxSourceLength);
        var s = Collator.Build(source, new Random(0));
        Assert.Equal(source[..8], s.InputIds);
        Assert.Equal(source[1..], s.TargetIds);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], s.PositionIds);
        Assert.All(s.BlockPositionIds, b => Assert.Equal(0, b));
        Assert.All(s.LossMask, l => Assert.Equal(1f, l));
        Assert.Equal(0, s.PartALength);
        Assert.Equal(8, s.Length);
        Assert.Equal(InfillMode.LeftToRight, s.Mode);

        // With an empty Part A the rule is causal: a position never sees the token it predicts.
        var origin = Enumerable.Range(0, 8).ToArray();
        var target = Enumerable.Range(1, 8).ToArray();
        SampleChecks.AssertNoLeak(s, origin, target);
    }

    [Fact]
    public void Short_sources_pad_and_long_ones_are_cut()
    {
        var s = Collator.Build([10, 11, 12], new Random(0));
        Assert.Equal([10, 11, 99, 99, 99, 99, 99, 99], s.InputIds);
        Assert.Equal([11, 12, 0, 0, 0, 0, 0, 0], s.TargetIds);
        Assert.Equal([1f, 1, 0, 0, 0, 0, 0, 0], s.LossMask);
        Assert.Equal(2, s.Length);

        var cut = Collator.Build(Enumerable.Range(0, 20).ToArray(), new Random(0));
        Assert.Equal(Enumerable.Range(1, 8).ToArray(), cut.TargetIds);

        foreach (int[] tiny in new[] { Array.Empty<int>(), [5] })
        {
            var empty = Collator.Build(tiny, new Random(0));
            Assert.Equal(0, empty.Length);
            Assert.All(empty.LossMask, l => Assert.Equal(0f, l));
            Assert.All(empty.InputIds, id => Assert.Equal(99, id));
        }
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<GlmException>(() => new LanguageModelingCollator(new LanguageModelingOptions { SeqLength = 0, Pad = 0 }));
        Assert.Throws<GlmException>(() => new LanguageModelingCollator(new LanguageModelingOptions { Pad = -1 }));
    }
}
