using System.Runtime.InteropServices;

namespace Glm.Tokenizers;

/// <summary>
/// The merge loop of <see cref="BpeTrainer"/>. Words (distinct pieces) live in one flat symbol array; pair counts
/// and, per pair, the words that contain it are kept up to date as merges rewrite words. The best pair comes from a
/// max-heap with lazy invalidation: a popped entry whose count is stale is pushed back with its current count.
/// </summary>
internal static class BpeMergeLearner
{
    /// <summary>Orders heap entries: higher count first, then smaller pair key (left id, then right id).</summary>
    private sealed class BestFirst : IComparer<(long Count, long Key)>
    {
        public int Compare((long Count, long Key) x, (long Count, long Key) y) =>
            x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Key.CompareTo(y.Key);
    }

    /// <summary>Learns up to <paramref name="wanted"/> merges; merge i makes token 256 + i.</summary>
    public static List<(int Left, int Right)> Learn(IReadOnlyList<(byte[] Bytes, long Count)> words, int wanted,
        long minFrequency, IProgress<BpeTrainingProgress>? progress, CancellationToken cancellationToken)
    {
        // Word w is symbols[start[w] .. start[w] + length[w]); merges shrink it in place.
        var start = new int[words.Count];
        var length = new int[words.Count];
        var count = new long[words.Count];
        long totalSymbols = words.Sum(w => (long)w.Bytes.Length);
        var symbols = new int[totalSymbols];
        var pairCount = new Dictionary<long, long>();
        var pairWords = new Dictionary<long, List<int>>();

        int at = 0;
        for (int w = 0; w < words.Count; w++)
        {
            (byte[] bytes, long c) = words[w];
            start[w] = at;
            length[w] = bytes.Length;
            count[w] = c;
            foreach (byte b in bytes) symbols[at++] = b;
            for (int i = start[w]; i + 1 < at; i++) AddPair(pairCount, pairWords, Key(symbols[i], symbols[i + 1]), c, w);
        }

        var heap = new PriorityQueue<long, (long Count, long Key)>(new BestFirst());
        foreach ((long key, long c) in pairCount) heap.Enqueue(key, (c, key));

        var merges = new List<(int Left, int Right)>(wanted);
        var lastMerge = new int[words.Count];
        Array.Fill(lastMerge, -1);
        var grown = new HashSet<long>();
        var throttle = new BpeTrainer.Throttle();

        while (merges.Count < wanted && heap.TryDequeue(out long best, out var entry))
        {
            long current = pairCount.GetValueOrDefault(best);
            if (current != entry.Count)
            {
                if (current > 0) heap.Enqueue(best, (current, best));
                continue;
            }
            if (current < minFrequency) break;
            cancellationToken.ThrowIfCancellationRequested();

            int left = (int)(best >> 32), right = (int)best, merged = 256 + merges.Count;
            merges.Add((left, right));
            pairCount.Remove(best);
            pairWords.Remove(best, out List<int>? affected);

            grown.Clear();
            foreach (int w in affected!)
            {
                if (lastMerge[w] == merged) continue; // a word can be listed more than once
                lastMerge[w] = merged;
                MergeInWord(w);
            }
            foreach (long key in grown)
            {
                if (pairCount.TryGetValue(key, out long c) && c > 0) heap.Enqueue(key, (c, key));
            }

            if (progress is not null && throttle.Due()) progress.Report(new(BpeTrainingPhase.Merging, merges.Count, wanted));

            // Rewrites every (left, right) in word w as the merged token, left to right, and moves the counts of the
            // neighbouring pairs: (prev, left) -> (prev, merged) and (right, next) -> (merged, next).
            void MergeInWord(int w)
            {
                int s = start[w], n = length[w], write = 0;
                long c = count[w];
                for (int read = 0; read < n;)
                {
                    if (read + 1 < n && symbols[s + read] == left && symbols[s + read + 1] == right)
                    {
                        if (write > 0)
                        {
                            int prev = symbols[s + write - 1];
                            Change(Key(prev, left), -c, w);
                            Change(Key(prev, merged), c, w);
                        }
                        if (read + 2 < n)
                        {
                            int next = symbols[s + read + 2];
                            Change(Key(right, next), -c, w);
                            Change(Key(merged, next), c, w);
                        }
                        symbols[s + write++] = merged;
                        read += 2;
                    }
                    else
                    {
                        symbols[s + write++] = symbols[s + read++];
                    }
                }
                length[w] = write;
            }

            void Change(long key, long delta, int w)
            {
                if (key == best) return; // the merged pair is gone for good
                if (delta > 0)
                {
                    AddPair(pairCount, pairWords, key, delta, w);
                    grown.Add(key);
                    return;
                }
                ref long c = ref CollectionsMarshal.GetValueRefOrNullRef(pairCount, key);
                c += delta;
                if (c == 0)
                {
                    pairCount.Remove(key);
                    pairWords.Remove(key);
                }
            }
        }

        progress?.Report(new(BpeTrainingPhase.Merging, merges.Count, wanted));
        return merges;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static void AddPair(Dictionary<long, long> pairCount, Dictionary<long, List<int>> pairWords, long key, long c, int w)
    {
        CollectionsMarshal.GetValueRefOrAddDefault(pairCount, key, out _) += c;
        ref List<int>? list = ref CollectionsMarshal.GetValueRefOrAddDefault(pairWords, key, out _);
        list ??= [];
        if (list.Count == 0 || list[^1] != w) list.Add(w);
    }
}
