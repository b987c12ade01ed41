using System.Numerics.Tensors;

namespace Glm.Inference.Sampling;

/// <summary>
/// Picks the next token from a logits row under <see cref="SamplingOptions"/>. Buffers are sized for the vocabulary
/// once, so <see cref="Sample"/> allocates nothing. Only ids below <see cref="CandidateCount"/> can be picked (the
/// padded vocabulary's unused rows are never chosen, glm-spec pitfall 8). Not thread-safe: one per sequence.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;
    private readonly float[] _work, _keys;
    private readonly int[] _ids, _counts;

    /// <param name="candidateCount">Ids 0 .. candidateCount − 1 may be picked (the tokenizer's vocabulary size).</param>
    public Sampler(SamplingOptions options, int candidateCount)
    {
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(candidateCount);
        CandidateCount = candidateCount;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        _work = new float[candidateCount];
        _keys = new float[candidateCount];
        _ids = new int[candidateCount];
        _counts = new int[candidateCount];
    }

    public int CandidateCount { get; }

    /// <summary>
    /// The next token for <paramref name="logits"/> (at least <see cref="CandidateCount"/> values, not modified), with
    /// penalties computed over <paramref name="history"/> (the tokens so far; pass only the generated ones to penalize
    /// only those).
    /// </summary>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        int n = CandidateCount;
        Span<float> work = _work;
        logits[..n].CopyTo(work);
        ApplyPenalties(work, history);
        if (_options.Temperature == 0)
        {
            return TensorPrimitives.IndexOfMax(work);
        }

        // Softmax at the temperature; without filters, draw straight from it.
        TensorPrimitives.Multiply(work, (float)(1 / _options.Temperature), work);
        Kernels.Ops.Elementwise.Softmax(work);
        if (_options.TopK == 0 && _options.TopP >= 1 && _options.MinP == 0)
        {
            double u = _random.NextDouble();
            for (int i = 0; i < n; i++)
            {
                u -= work[i];
                if (u < 0) return i;
            }
            return TensorPrimitives.IndexOfMax(work);
        }

        // Sort the candidates by probability, highest first: only those a filter can keep (see Shortlist).
        Span<float> keys = _keys;
        Span<int> ids = _ids;
        int m = Shortlist(work, keys, ids);
        keys = keys[..m];
        ids = ids[..m];
        keys.Sort(ids);

        int keep = _options.TopK > 0 ? Math.Min(_options.TopK, m) : m;
        if (_options.TopP < 1)
        {
            double sum = 0;
            for (int i = 0; i < keep; i++)
            {
                sum -= keys[i];
                if (sum >= _options.TopP)
                {
                    keep = i + 1;
                    break;
                }
            }
        }
        if (_options.MinP > 0)
        {
            float floor = (float)(_options.MinP * -keys[0]);
            int k = 1;
            while (k < keep && -keys[k] >= floor) k++;
            keep = k;
        }

        double total = 0;
        for (int i = 0; i < keep; i++) total -= keys[i];
        double r = _random.NextDouble() * total;
        for (int i = 0; i < keep; i++)
        {
            r += keys[i];
            if (r < 0) return ids[i];
        }
        return ids[keep - 1];
    }

    /// <summary>
    /// Copies into <paramref name="keys"/> (negated probabilities) and <paramref name="ids"/> the candidates with
    /// probability ≥ τ, for the largest τ of max/1024, max/65536, … , 0 at which they are sure to hold every token a
    /// filter keeps: together at least top-p, or at least top-k of them, or τ at most min-p's floor. The filters then
    /// pick from a few hundred sorted candidates instead of the whole vocabulary (151k for GLM-4), with the same result.
    /// Returns how many were copied.
    /// </summary>
    private int Shortlist(ReadOnlySpan<float> probabilities, Span<float> keys, Span<int> ids)
    {
        float max = TensorPrimitives.Max(probabilities);
        for (float tau = max / 1024; ; tau = tau > 1e-30f ? tau / 64 : 0)
        {
            int m = 0;
            double sum = 0;
            for (int i = 0; i < probabilities.Length; i++)
            {
                float p = probabilities[i];
                if (p < tau) continue;
                keys[m] = -p;
                ids[m++] = i;
                sum += p;
            }
            bool enough = tau == 0
                || (_options.TopP < 1 && sum >= _options.TopP + 1e-6) // a margin for the sum's order
                || (_options.TopK > 0 && m >= _options.TopK)
                || (_options.MinP > 0 && tau <= _options.MinP * max);
            if (enough) return m;
        }
    }

    private void ApplyPenalties(Span<float> work, ReadOnlySpan<int> history)
    {
        double rep = _options.RepetitionPenalty, presence = _options.PresencePenalty, frequency = _options.FrequencyPenalty;
        if (history.IsEmpty || (rep == 1 && presence == 0 && frequency == 0))
        {
            return;
        }
        foreach (int id in history)
        {
            if ((uint)id < (uint)_counts.Length) _counts[id]++;
        }
        foreach (int id in history)
        {
            if ((uint)id >= (uint)_counts.Length || _counts[id] == 0) continue;
            float v = work[id];
            if (rep != 1) v = v > 0 ? (float)(v / rep) : (float)(v * rep);
            work[id] = (float)(v - presence - frequency * _counts[id]);
            _counts[id] = 0; // each distinct id is penalized once
        }
    }
}
