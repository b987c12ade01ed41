using Glm.Tokenizers;
using Glm.Training.Data;

namespace Glm.Training.Evaluation;

/// <summary>Cuts held-out text into the token windows evaluation scores.</summary>
public static class EvalChunking
{
    /// <summary>
    /// Tokenizes <paramref name="segments"/> in order (an &lt;|endoftext|&gt; after each document) and returns
    /// consecutive, non-overlapping windows of <paramref name="chunkLength"/> tokens, at most
    /// <paramref name="maxChunks"/> of them; a shorter last window is kept when it has at least two tokens.
    /// </summary>
    public static IReadOnlyList<int[]> Chunks(IEnumerable<CorpusSegment> segments, IGlmTokenizer tokenizer, int chunkLength, int maxChunks)
    {
        var chunks = new List<int[]>();
        var pending = new List<int>();
        foreach (var segment in segments)
        {
            pending.AddRange(tokenizer.Encode(segment.Text));
            if (segment.EndsDocument) pending.Add(tokenizer.Special.EndOfText);
            while (pending.Count >= chunkLength && chunks.Count < maxChunks)
            {
                chunks.Add(pending.GetRange(0, chunkLength).ToArray());
                pending.RemoveRange(0, chunkLength);
            }
            if (chunks.Count >= maxChunks) return chunks;
        }
        if (pending.Count >= 2) chunks.Add(pending.ToArray());
        return chunks;
    }

    /// <summary>
    /// Like <see cref="Chunks"/> over all of <paramref name="segments"/>, then <paramref name="count"/> windows spaced
    /// evenly through them (all when there are fewer), so a sample of a held-out file covers the whole file rather
    /// than its first book.
    /// </summary>
    public static IReadOnlyList<int[]> Spread(IEnumerable<CorpusSegment> segments, IGlmTokenizer tokenizer, int chunkLength, int count)
    {
        var all = Chunks(segments, tokenizer, chunkLength, int.MaxValue);
        if (all.Count <= count) return all;
        double step = (double)all.Count / count;
        return Enumerable.Range(0, count).Select(i => all[(int)(i * step)]).ToList();
    }
}
