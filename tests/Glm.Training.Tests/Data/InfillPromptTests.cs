using Glm.Training.Data;
using static Glm.Training.Tests.Data.InfillTestData;

namespace Glm.Training.Tests.Data;

public class InfillPromptTests
{
    [Fact]
    public void Finds_blanks_and_positions_generation_at_each_mask()
    {
        var o = Options();
        int[] partA = [5, o.Mask, 6, 7, o.GMask];
        var prompt = InfillPrompt.Create(partA, o.Sop, o.Mask, o.SMask, o.GMask);
        Assert.Equal([new PromptBlank(1, o.Mask), new PromptBlank(4, o.GMask)], prompt.Blanks);
        Assert.Equal((4, 1), InfillPrompt.StepPositions(prompt.Blanks[1], 0));
        Assert.Equal((4, 3), InfillPrompt.StepPositions(prompt.Blanks[1], 2));

        var start = prompt.InputFor([]);
        Assert.Equal(partA, start.InputIds);
        Assert.Equal([0, 1, 2, 3, 4], start.PositionIds);
        Assert.Equal([0, 0, 0, 0, 0], start.BlockPositionIds);

        var second = prompt.InputFor([[20, 21], []]);
        Assert.Equal([5, o.Mask, 6, 7, o.GMask, o.Sop, 20, 21, o.Sop], second.InputIds);
        Assert.Equal([0, 1, 2, 3, 4, 1, 1, 1, 4], second.PositionIds);
        Assert.Equal([0, 0, 0, 0, 0, 1, 2, 3, 1], second.BlockPositionIds);
        Assert.Equal(5, second.PartALength);

        Assert.Equal([5, 20, 21, 6, 7, 30], prompt.Fill([[20, 21], [30]]));
        Assert.Throws<ArgumentException>(() => prompt.Fill([[1]]));
        Assert.Throws<ArgumentException>(() => prompt.InputFor([[], [], []]));
    }

    [Fact]
    public void Inference_input_matches_the_training_layout()
    {
        // A sample with Part B in text order is what inference builds after generating every blank.
        var collator = Collator(seqLength: 96, shuffle: false);
        var o = collator.Options;
        var rng = new Random(11);
        for (int trial = 0; trial < 300; trial++)
        {
            var source = Source(rng, rng.Next(1, collator.MaxSourceLength + 1));
            var mode = (InfillMode)(trial % 3);
            var sample = collator.Build(source, rng, mode);
            var spans = SampleChecks.AssertWellFormed(sample, source, o, mode);
            var fills = spans.Select(s => source.AsSpan(s.Start, s.Length).ToArray()).ToList();

            var prompt = InfillPrompt.Create(sample.InputIds.AsSpan(0, sample.PartALength), o.Sop, o.Mask, o.SMask, o.GMask);
            Assert.Equal(spans.Count, prompt.Blanks.Count);
            var input = prompt.InputFor(fills);
            // Training's last token per span is the eop target, so inference's input is the sample's first Length tokens.
            Assert.Equal(sample.InputIds[..sample.Length], input.InputIds);
            Assert.Equal(sample.PositionIds[..sample.Length], input.PositionIds);
            Assert.Equal(sample.BlockPositionIds[..sample.Length], input.BlockPositionIds);
            Assert.Equal(sample.PartALength, input.PartALength);
            Assert.Equal(source, prompt.Fill(fills));
        }
    }
}
