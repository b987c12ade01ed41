namespace Glm.Training.Data;

/// <summary>
/// The random choices of blank infilling (GLM's <c>ConstructBlockStrategy</c>, glm-spec 1.4-1.5): span lengths,
/// their placement, sentence picking and the document suffix. Every method draws only from the given rng, so a seeded
/// rng gives the same spans.
/// </summary>
internal sealed class SpanSampler
{
    private readonly InfillingOptions _options;
    private readonly double[] _cumulativeWeights; // over lengths 1..MaxSpanLength-1

    public SpanSampler(InfillingOptions options)
    {
        _options = options;
        // Poisson pmf up to a constant: l·ln λ - ln l!, shifted by the max so a large λ cannot underflow.
        int count = options.MaxSpanLength - 1;
        var log = new double[count];
        double logFactorial = 0;
        for (int l = 1; l <= count; l++)
        {
            logFactorial += Math.Log(l);
            log[l - 1] = l * Math.Log(options.PoissonLambda) - logFactorial;
        }
        double max = log.Max(), sum = 0;
        _cumulativeWeights = new double[count];
        for (int i = 0; i < count; i++) _cumulativeWeights[i] = sum += Math.Exp(log[i] - max);
    }

    /// <summary>
    /// Token level: lengths drawn until they cover <c>max(1, int(MaskRatio·n))</c> tokens, kept while they fit in n
    /// with a one-token gap between spans and while there are at most <paramref name="maxSpans"/>, then placed
    /// uniformly (GLM's <c>sample_spans</c>). At least one span. Returned in source order.
    /// </summary>
    public List<BlankSpan> TokenSpans(int n, int maxSpans, Random rng)
    {
        int goal = Math.Max(1, (int)(_options.MaskRatio * n));
        var drawn = new List<int>();
        for (int covered = 0; covered < goal; covered += drawn[^1]) drawn.Add(DrawLength(rng));
        // The last draw is the one that crossed the goal; shuffling keeps it from always landing last in the text.
        var lengths = drawn.ToArray();
        rng.Shuffle(lengths);

        var kept = new List<int>();
        int sum = 0;
        foreach (int length in lengths)
        {
            // k spans of total s need s + (k - 1) tokens.
            if (kept.Count == maxSpans || sum + length + kept.Count > n) break;
            kept.Add(length);
            sum += length;
        }
        if (kept.Count == 0) kept.Add(Math.Min(lengths[0], n));
        return Place(kept, n, rng);
    }

    /// <summary>
    /// Sentence level: the source split after every sentence-end token, the sentences shuffled and taken until they
    /// cover <c>max(1, int(SentenceRatio·n))</c> tokens or <paramref name="maxSpans"/> are taken. Source order.
    /// </summary>
    public List<BlankSpan> SentenceSpans(ReadOnlySpan<int> source, Func<int, bool> isSentenceEnd, int maxSpans, Random rng)
    {
        var sentences = new List<BlankSpan>();
        int start = 0;
        for (int i = 0; i < source.Length; i++)
        {
            if (!isSentenceEnd(source[i])) continue;
            sentences.Add(new BlankSpan(start, i + 1 - start));
            start = i + 1;
        }
        if (start < source.Length) sentences.Add(new BlankSpan(start, source.Length - start));

        var all = sentences.ToArray();
        rng.Shuffle(all);
        int goal = Math.Max(1, (int)(_options.SentenceRatio * source.Length)), covered = 0;
        var taken = new List<BlankSpan>();
        foreach (var sentence in all)
        {
            if (covered >= goal || taken.Count == maxSpans) break;
            taken.Add(sentence);
            covered += sentence.Length;
        }
        taken.Sort((a, b) => a.Start.CompareTo(b.Start));
        return taken;
    }

    /// <summary>
    /// Document level: one suffix whose length is uniform in <c>[max(1, int(DocumentMinRatio·n)), n]</c>, the paper's
    /// 50-100%. At 100% Part A is the [gMASK] alone: unconditional generation, as in generating from an empty prompt.
    /// (GLM's code always keeps [CLS] and one token of context.)
    /// </summary>
    public BlankSpan DocumentSpan(int n, Random rng)
    {
        int low = Math.Max(1, (int)(_options.DocumentMinRatio * n));
        int length = rng.Next(low, n + 1);
        return new BlankSpan(n - length, length);
    }

    /// <summary>A span length in 1..MaxSpanLength-1, Poisson-weighted (Python's <c>rng.choices</c>).</summary>
    private int DrawLength(Random rng)
    {
        double x = rng.NextDouble() * _cumulativeWeights[^1];
        int i = Array.BinarySearch(_cumulativeWeights, x);
        i = i < 0 ? ~i : i + 1; // bisect_right
        return Math.Min(i, _cumulativeWeights.Length - 1) + 1;
    }

    /// <summary>
    /// GLM's <c>sample_spans</c>: k sorted offsets in [0, n - sum - k + 1] turn the lengths, in the given order, into
    /// non-overlapping spans with at least one token between neighbours.
    /// </summary>
    private static List<BlankSpan> Place(List<int> lengths, int n, Random rng)
    {
        int free = n - lengths.Sum() - lengths.Count + 1;
        var places = new int[lengths.Count];
        for (int i = 0; i < places.Length; i++) places[i] = rng.Next(free + 1);
        Array.Sort(places);
        var spans = new List<BlankSpan>(lengths.Count);
        int offset = 0;
        for (int i = 0; i < lengths.Count; i++)
        {
            spans.Add(new BlankSpan(offset + places[i], lengths[i]));
            offset += lengths[i] + 1;
        }
        return spans;
    }
}
