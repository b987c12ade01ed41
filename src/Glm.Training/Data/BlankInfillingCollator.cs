namespace Glm.Training.Data;

/// <summary>
/// GLM's autoregressive blank infilling (glm-spec 1.4-1.5): picks token-, sentence- or document-level spans, writes
/// Part A (the source with each span replaced by one mask token) and Part B (each span as <c>[sop] + span</c> with
/// targets <c>span + [eop]</c>, in shuffled order), with 2-D positions. A sample of n source tokens and k spans holds
/// n + 2k tokens; the collator keeps that within L by cutting the source to <see cref="MaxSourceLength"/> and capping
/// k. Immutable and thread-safe; all randomness comes from the rng passed in.
/// </summary>
public sealed class BlankInfillingCollator : ISampleCollator
{
    private readonly InfillingOptions _options;
    private readonly Func<int, bool> _isSentenceEnd;
    private readonly SpanSampler _sampler;

    /// <param name="options">Validated here.</param>
    /// <param name="isSentenceEnd">True for token ids whose text ends a sentence (GLM splits after
    /// <c>. ? ! ; : 。 ？ ！ ； …</c> and newlines); must be thread-safe.</param>
    public BlankInfillingCollator(InfillingOptions options, Func<int, bool> isSentenceEnd)
    {
        _options = options.Validate();
        _isSentenceEnd = isSentenceEnd;
        _sampler = new SpanSampler(options);
        MaxSourceLength = SourceBudget(options);
    }

    public InfillingOptions Options => _options;

    public int SeqLength => _options.SeqLength;

    /// <summary>
    /// Largest n with <c>n + 2·max(1, ceil(n·r/2)) ≤ L</c>, r the larger of the token and sentence ratios: room for
    /// spans averaging two tokens, while Poisson(3) spans average about 3.2, so the cap on k almost never binds.
    /// </summary>
    public int MaxSourceLength { get; }

    public InfillSample Build(ReadOnlySpan<int> source, Random rng) => Build(source, rng, ChooseMode(rng));

    /// <summary>Builds a sample with the given objective (not <see cref="InfillMode.LeftToRight"/>).</summary>
    public InfillSample Build(ReadOnlySpan<int> source, Random rng, InfillMode mode)
    {
        if (mode == InfillMode.LeftToRight) throw new ArgumentException("blank infilling has no left-to-right mode", nameof(mode));
        if (source.Length > MaxSourceLength) source = source[..MaxSourceLength];
        int n = source.Length;
        if (n == 0) return InfillSample.Empty(SeqLength, _options.Pad, mode);

        int maxSpans = (SeqLength - n) / 2;
        var spans = mode switch
        {
            InfillMode.Token => _sampler.TokenSpans(n, maxSpans, rng),
            InfillMode.Sentence => _sampler.SentenceSpans(source, _isSentenceEnd, maxSpans, rng),
            _ => [_sampler.DocumentSpan(n, rng)],
        };
        var order = spans.ToArray();
        if (_options.ShuffleSpans) rng.Shuffle(order);
        return Compose(source, order, mode);
    }

    /// <summary>
    /// Lays out a sample from explicit spans (what <see cref="Build(ReadOnlySpan{int}, Random, InfillMode)"/> does
    /// after sampling). <paramref name="partBOrder"/> lists the spans in the order Part B predicts them; they must be
    /// non-empty, inside the source, non-overlapping, and fit: <c>n + 2k ≤ L</c>.
    /// </summary>
    public InfillSample Compose(ReadOnlySpan<int> source, ReadOnlySpan<BlankSpan> partBOrder, InfillMode mode)
    {
        int mask = mode switch
        {
            InfillMode.Token => _options.Mask,
            InfillMode.Sentence => _options.SMask,
            InfillMode.Document => _options.GMask,
            _ => throw new ArgumentException("blank infilling has no left-to-right mode", nameof(mode)),
        };
        int n = source.Length, k = partBOrder.Length;
        if (n + 2 * k > SeqLength)
            throw new ArgumentException($"{n} source tokens and {k} spans need {n + 2 * k} positions, more than L = {SeqLength}");
        var sorted = partBOrder.ToArray();
        Array.Sort(sorted, (a, b) => a.Start.CompareTo(b.Start));
        for (int i = 0; i < k; i++)
        {
            var s = sorted[i];
            if (s.Length < 1 || s.Start < 0 || s.End > n || (i > 0 && s.Start < sorted[i - 1].End))
                throw new ArgumentException($"span [{s.Start}, {s.End}) is empty, outside the {n} source tokens, or overlaps another");
        }

        var sample = InfillSample.Empty(SeqLength, _options.Pad, mode);
        int[] input = sample.InputIds, target = sample.TargetIds, pos = sample.PositionIds, block = sample.BlockPositionIds;
        float[] loss = sample.LossMask;

        // Part A: the corrupted text; its positions are just its indices. Remember where each span's mask went.
        var maskAt = new Dictionary<int, int>(k);
        int a = 0, next = 0;
        foreach (var s in sorted)
        {
            a = CopyPartA(source[next..s.Start], input, a);
            maskAt[s.Start] = a;
            input[a++] = mask;
            next = s.End;
        }
        a = CopyPartA(source[next..], input, a);
        for (int i = 0; i < a; i++) pos[i] = i;

        // Part B: [sop] + span -> span + [eop]; all at the mask's position, block positions 1..|s|+1.
        int b = a;
        foreach (var s in partBOrder)
        {
            int at = maskAt[s.Start];
            input[b] = _options.Sop;
            source.Slice(s.Start, s.Length).CopyTo(input.AsSpan(b + 1));
            source.Slice(s.Start, s.Length).CopyTo(target.AsSpan(b));
            target[b + s.Length] = _options.Eop;
            for (int q = 0; q <= s.Length; q++)
            {
                loss[b + q] = 1;
                pos[b + q] = at;
                block[b + q] = q + 1;
            }
            b += s.Length + 1;
        }
        return sample with { PartALength = a, Length = b };
    }

    private InfillMode ChooseMode(Random rng)
    {
        double r = rng.NextDouble();
        if (r < _options.TokenLevel) return InfillMode.Token;
        if (r < _options.TokenLevel + _options.SentenceLevel) return InfillMode.Sentence;
        // The probabilities sum to 1 only within rounding: never pick a mode whose probability is 0.
        if (_options.DocumentLevel > 0) return InfillMode.Document;
        return _options.SentenceLevel > 0 ? InfillMode.Sentence : InfillMode.Token;
    }

    private static int CopyPartA(ReadOnlySpan<int> tokens, int[] input, int at)
    {
        tokens.CopyTo(input.AsSpan(at));
        return at + tokens.Length;
    }

    private static int SourceBudget(InfillingOptions o)
    {
        double r = Math.Max(o.MaskRatio, o.SentenceRatio);
        int n = o.SeqLength - 2;
        while (n > 1 && n + 2 * Math.Max(1, (int)Math.Ceiling(n * r / 2)) > o.SeqLength) n--;
        return n;
    }
}
