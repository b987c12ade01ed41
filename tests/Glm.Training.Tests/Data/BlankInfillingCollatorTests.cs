using Glm.Core;
using Glm.Training.Data;
using static Glm.Training.Tests.Data.InfillTestData;

namespace Glm.Training.Tests.Data;

public class BlankInfillingCollatorTests
{
    [Fact]
    public void Worked_example_of_the_spec_gives_its_positions()
    {
        // glm-spec 1.4: x = [CLS] x1..x6, spans {x3} and {x5,x6}, Part B order {x5,x6} then {x3}.
        var options = Options(seqLength: 12);
        var collator = new BlankInfillingCollator(options, IsSentenceEnd);
        int[] x = [Cls, 11, 12, 13, 14, 15, 16];
        var s = collator.Compose(x, [new BlankSpan(5, 2), new BlankSpan(3, 1)], InfillMode.Token);

        int M = options.Mask, S = options.Sop, E = options.Eop, P = options.Pad;
        Assert.Equal(6, s.PartALength);
        Assert.Equal(11, s.Length);
        Assert.Equal([Cls, 11, 12, M, 14, M, S, 15, 16, S, 13, P], s.InputIds);
        Assert.Equal([0, 0, 0, 0, 0, 0, 15, 16, E, 13, E, 0], s.TargetIds);
        Assert.Equal([0f, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0], s.LossMask);
        // The spec's rows omit [CLS] at position 0.
        Assert.Equal([1, 2, 3, 4, 5], s.PositionIds[1..6]);
        Assert.Equal([5, 5, 5, 3, 3], s.PositionIds[6..11]);
        Assert.Equal([0, 0, 0, 0, 0], s.BlockPositionIds[1..6]);
        Assert.Equal([1, 2, 3, 1, 2], s.BlockPositionIds[6..11]);
        SampleChecks.AssertWellFormed(s, x, options, InfillMode.Token);
    }

    [Theory]
    [InlineData(InfillMode.Token)]
    [InlineData(InfillMode.Sentence)]
    [InlineData(InfillMode.Document)]
    public void Random_sources_keep_every_rule(InfillMode mode)
    {
        var rng = new Random(1);
        foreach (int seqLength in new[] { 3, 8, 16, 64, 160 })
        {
            var collator = Collator(seqLength);
            for (int trial = 0; trial < 700; trial++)
            {
                var source = Source(rng, rng.Next(collator.MaxSourceLength + 10));
                var sample = collator.Build(source, new Random(trial), mode);
                var used = source.AsSpan(0, Math.Min(source.Length, collator.MaxSourceLength));
                var spans = SampleChecks.AssertWellFormed(sample, used, collator.Options, mode);
                if (used.Length == 0) Assert.Empty(spans);
                else if (mode == InfillMode.Document) Assert.Single(spans);
                else Assert.NotEmpty(spans);
            }
        }
    }

    [Fact]
    public void Mixed_build_picks_modes_by_their_probabilities()
    {
        var collator = Collator();
        var rng = new Random(2);
        var counts = new Dictionary<InfillMode, int>();
        for (int trial = 0; trial < 4000; trial++)
        {
            var source = Source(rng, collator.MaxSourceLength);
            var sample = collator.Build(source, rng);
            SampleChecks.AssertWellFormed(sample, source, collator.Options, sample.Mode, checkAttention: false);
            counts[sample.Mode] = counts.GetValueOrDefault(sample.Mode) + 1;
        }
        Assert.InRange(counts[InfillMode.Token] / 4000.0, 0.47, 0.53);
        Assert.InRange(counts[InfillMode.Sentence] / 4000.0, 0.27, 0.33);
        Assert.InRange(counts[InfillMode.Document] / 4000.0, 0.17, 0.23);
    }

    [Fact]
    public void Token_level_masks_about_15_percent_in_poisson_spans_with_gaps()
    {
        var collator = Collator(seqLength: 512);
        int n = collator.MaxSourceLength, goal = (int)(0.15 * n);
        var rng = new Random(3);
        var lengths = new List<int>();
        for (int trial = 0; trial < 400; trial++)
        {
            var source = Source(rng, n);
            var sample = collator.Build(source, rng, InfillMode.Token);
            var spans = SampleChecks.AssertWellFormed(sample, source, collator.Options, InfillMode.Token, checkAttention: false);
            Assert.InRange(spans.Sum(s => s.Length), goal, goal + 38);
            var sorted = spans.OrderBy(s => s.Start).ToList();
            for (int i = 1; i < sorted.Count; i++) Assert.True(sorted[i].Start > sorted[i - 1].End, "spans without a gap");
            lengths.AddRange(spans.Select(s => s.Length));
        }
        Assert.All(lengths, l => Assert.InRange(l, 1, 39));
        // Poisson(3) restricted to 1..39: mean 3.16, P(2) = P(3) = 0.236, P(1) = 0.157.
        Assert.InRange(lengths.Average(), 3.0, 3.4);
        Assert.InRange(lengths.Count(l => l == 1) / (double)lengths.Count, 0.13, 0.18);
        Assert.InRange(lengths.Count(l => l == 3) / (double)lengths.Count, 0.21, 0.26);
    }

    [Fact]
    public void Sentence_level_masks_whole_sentences_until_15_percent()
    {
        var collator = Collator(seqLength: 512);
        int n = collator.MaxSourceLength;
        var rng = new Random(4);
        for (int trial = 0; trial < 300; trial++)
        {
            var source = Source(rng, n);
            var sample = collator.Build(source, rng, InfillMode.Sentence);
            var spans = SampleChecks.AssertWellFormed(sample, source, collator.Options, InfillMode.Sentence, checkAttention: false);
            Assert.True(spans.Sum(s => s.Length) >= (int)(0.15 * n));
            foreach (var s in spans)
            {
                Assert.True(s.Start == 0 || IsSentenceEnd(source[s.Start - 1]), "span starts inside a sentence");
                Assert.True(s.End == n || IsSentenceEnd(source[s.End - 1]), "span ends inside a sentence");
                for (int i = s.Start; i < s.End - 1; i++) Assert.False(IsSentenceEnd(source[i]), "span holds two sentences");
            }
        }
    }

    [Fact]
    public void Document_level_masks_one_suffix_of_half_to_all()
    {
        var collator = Collator(seqLength: 256);
        var rng = new Random(5);
        var ratios = new List<double>();
        for (int trial = 0; trial < 1000; trial++)
        {
            var source = Source(rng, rng.Next(1, 20));
            var sample = collator.Build(source, rng, InfillMode.Document);
            var span = Assert.Single(SampleChecks.AssertWellFormed(sample, source, collator.Options, InfillMode.Document));
            Assert.Equal(source.Length, span.End);
            Assert.InRange(span.Length, Math.Max(1, (int)(0.5 * source.Length)), source.Length);
            ratios.Add(span.Length / (double)source.Length);
        }
        Assert.Contains(1.0, ratios); // the whole text, after an empty context, happens too
        for (int trial = 0; trial < 300; trial++)
        {
            var source = Source(rng, collator.MaxSourceLength);
            var sample = collator.Build(source, rng, InfillMode.Document);
            var span = Assert.Single(SampleChecks.AssertWellFormed(sample, source, collator.Options, InfillMode.Document, checkAttention: false));
            Assert.InRange(span.Length, (int)(0.5 * source.Length), source.Length);
            ratios.Add(span.Length / (double)source.Length);
        }
        Assert.InRange(ratios.Skip(1000).Average(), 0.7, 0.8);
    }

    [Fact]
    public void Spans_are_shuffled_in_part_b_unless_disabled()
    {
        var rng = new Random(6);
        int shuffled = 0;
        foreach (bool shuffle in new[] { true, false })
        {
            var collator = Collator(seqLength: 256, shuffle);
            for (int trial = 0; trial < 200; trial++)
            {
                var source = Source(rng, collator.MaxSourceLength);
                var spans = SampleChecks.AssertWellFormed(
                    collator.Build(source, rng, InfillMode.Token), source, collator.Options, InfillMode.Token, checkAttention: false);
                bool inOrder = spans.Zip(spans.Skip(1)).All(p => p.First.Start < p.Second.Start);
                if (!shuffle) Assert.True(inOrder);
                else if (!inOrder) shuffled++;
            }
        }
        Assert.True(shuffled > 150, $"only {shuffled} of 200 samples had Part B out of text order");
    }

    [Fact]
    public void Seeded_rng_gives_the_same_samples()
    {
        var collator = Collator();
        var source = Source(new Random(7), collator.MaxSourceLength);
        var a = new Random(42);
        var b = new Random(42);
        var c = new Random(43);
        bool differs = false;
        for (int i = 0; i < 20; i++)
        {
            var x = collator.Build(source, a);
            var y = collator.Build(source, b);
            var z = collator.Build(source, c);
            Assert.Equal(x.InputIds, y.InputIds);
            Assert.Equal(x.TargetIds, y.TargetIds);
            Assert.Equal(x.PositionIds, y.PositionIds);
            Assert.Equal(x.BlockPositionIds, y.BlockPositionIds);
            Assert.Equal(x.PartALength, y.PartALength);
            differs |= !x.InputIds.SequenceEqual(z.InputIds);
        }
        Assert.True(differs);
    }

    [Fact]
    public void Adversarial_sources_fit_in_L()
    {
        // Every token ends a sentence: sentence mode wants ~0.15n one-token spans, more than L leaves room for.
        var collator = Collator(seqLength: 32);
        var rng = new Random(8);
        foreach (int n in new[] { 0, 1, 2, 3, collator.MaxSourceLength, 500 })
        {
            var source = Enumerable.Repeat(0, n).ToArray();
            foreach (var mode in new[] { InfillMode.Token, InfillMode.Sentence, InfillMode.Document })
            {
                var sample = collator.Build(source, rng, mode);
                var used = source.AsSpan(0, Math.Min(n, collator.MaxSourceLength));
                SampleChecks.AssertWellFormed(sample, used, collator.Options, mode);
                Assert.Equal(n > 0, sample.LossMask.Any(l => l > 0));
            }
        }
    }

    [Fact]
    public void MaxSourceLength_is_the_largest_that_leaves_room_for_the_spans()
    {
        Assert.Equal(444, Collator(seqLength: 512).MaxSourceLength);
        for (int seqLength = 3; seqLength < 700; seqLength++)
        {
            int n = Collator(seqLength).MaxSourceLength;
            Assert.True(n >= 1 && n + 2 * Reserved(n) <= seqLength, $"L = {seqLength}: n = {n} does not fit");
            Assert.True(n + 1 + 2 * Reserved(n + 1) > seqLength, $"L = {seqLength}: n = {n} is not the largest");
        }

        static int Reserved(int n) => Math.Max(1, (int)Math.Ceiling(n * 0.15 / 2));
    }

    [Fact]
    public void Compose_rejects_bad_spans()
    {
        var collator = Collator(seqLength: 16);
        int[] source = [1, 2, 3, 4, 5, 6];
        Assert.Throws<ArgumentException>(() => collator.Compose(source, [new(1, 3), new(3, 1)], InfillMode.Token));
        Assert.Throws<ArgumentException>(() => collator.Compose(source, [new(5, 2)], InfillMode.Token));
        Assert.Throws<ArgumentException>(() => collator.Compose(source, [new(2, 0)], InfillMode.Token));
        Assert.Throws<ArgumentException>(() => collator.Compose(source, [new(0, 1)], InfillMode.LeftToRight));
        var tooMany = Enumerable.Range(0, 6).Select(i => new BlankSpan(i, 1)).ToArray();
        Assert.Throws<ArgumentException>(() => collator.Compose(source, tooMany, InfillMode.Token));
    }

    [Fact]
    public void Options_name_the_bad_field()
    {
        var ok = Options();
        Assert.Contains("must be 1", Assert.Throws<GlmException>(() => (ok with { TokenLevel = 0.6 }).Validate()).Message);
        Assert.Contains("differ", Assert.Throws<GlmException>(() => (ok with { Sop = ok.Mask }).Validate()).Message);
        Assert.Contains("SeqLength", Assert.Throws<GlmException>(() => (ok with { SeqLength = 2 }).Validate()).Message);
        Assert.Contains("MaskRatio", Assert.Throws<GlmException>(() => (ok with { MaskRatio = 0 }).Validate()).Message);
        Assert.Contains("MaxSpanLength", Assert.Throws<GlmException>(() => (ok with { MaxSpanLength = 1 }).Validate()).Message);
        Assert.Contains("DocumentMinRatio", Assert.Throws<GlmException>(() => (ok with { DocumentMinRatio = 1.5 }).Validate()).Message);
        Assert.Same(ok, ok.Validate());
    }

    [Fact]
    public void A_mode_with_probability_zero_is_never_picked()
    {
        var collator = new BlankInfillingCollator(
            Options() with { TokenLevel = 0.7, SentenceLevel = 0.3, DocumentLevel = 0 }, IsSentenceEnd);
        var rng = new Random(9);
        var source = Source(rng, collator.MaxSourceLength);
        for (int i = 0; i < 2000; i++) Assert.NotEqual(InfillMode.Document, collator.Build(source, rng).Mode);
    }
}
