using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace Glm.Tokenizers;

/// <summary>
/// Trains a <see cref="ByteLevelBpeTokenizer"/> from text. First every document is pre-tokenized with GLM-4's pattern
/// and its pieces counted (in parallel over documents); then merges are learned over the distinct pieces with
/// incrementally updated pair counts, so each merge costs work only in the pieces that contain its pair. The result
/// depends only on the text and the options: ties go to the pair with the smaller (left, right) ids.
/// </summary>
public static class BpeTrainer
{
    /// <summary>
    /// Trains on <paramref name="documents"/> (enumerated once). Documents are independent: no merge crosses from one
    /// to the next. Text that spells a special token counts as ordinary text. Progress is reported a few times a
    /// second at most, from worker threads.
    /// </summary>
    public static ByteLevelBpeTokenizer Train(IEnumerable<string> documents, BpeTrainerOptions options,
        IProgress<BpeTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var words = CountPieces(documents, options, progress, cancellationToken);
        int wanted = options.VocabSize - 256 - GlmSpecialTokens.Glm4Order.Count;
        var merges = BpeMergeLearner.Learn(words, wanted, options.MinFrequency, progress, cancellationToken);
        return ByteLevelBpeTokenizer.FromMerges(merges);
    }

    /// <summary>Distinct pieces of 2+ bytes with their counts, most frequent first (ties in byte order), capped at
    /// <see cref="BpeTrainerOptions.MaxDistinctPieces"/>.</summary>
    internal static List<(byte[] Bytes, long Count)> CountPieces(IEnumerable<string> documents, BpeTrainerOptions options,
        IProgress<BpeTrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var total = new Dictionary<byte[], long>(ByteSequenceComparer.Instance);
        var gate = new object();
        long? documentCount = documents.TryGetNonEnumeratedCount(out int n) ? n : null;
        long done = 0;
        var throttle = new Throttle();

        Parallel.ForEach(
            documents,
            new ParallelOptions { CancellationToken = cancellationToken },
            () => new Dictionary<byte[], long>(ByteSequenceComparer.Instance),
            (document, _, local) =>
            {
                CountDocument(document, local, options.MaxPieceBytes);
                long now = Interlocked.Increment(ref done);
                if (progress is not null && throttle.Due()) progress.Report(new(BpeTrainingPhase.Counting, now, documentCount));
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    foreach ((byte[] piece, long count) in local)
                        CollectionsMarshal.GetValueRefOrAddDefault(total, piece, out _) += count;
                }
            });
        progress?.Report(new(BpeTrainingPhase.Counting, done, documentCount));

        var words = total.Select(kv => (kv.Key, kv.Value)).ToList();
        words.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : a.Key.AsSpan().SequenceCompareTo(b.Key));
        if (words.Count > options.MaxDistinctPieces) words.RemoveRange(options.MaxDistinctPieces, words.Count - options.MaxDistinctPieces);
        return words;
    }

    private static void CountDocument(string document, Dictionary<byte[], long> counts, int maxPieceBytes)
    {
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<byte>>();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(document));
        try
        {
            var text = buffer.AsSpan(0, Encoding.UTF8.GetBytes(document, buffer));
            for (int start = 0; start < text.Length;)
            {
                int end = Glm4PreTokenizer.NextPieceEnd(text, start);
                int length = end - start;
                if (length >= 2 && length <= maxPieceBytes) CollectionsMarshal.GetValueRefOrAddDefault(lookup, text[start..end], out _)++;
                start = end;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>True at most every 200 ms, from any thread.</summary>
    internal sealed class Throttle
    {
        private long next;

        public bool Due()
        {
            long now = Environment.TickCount64, due = Interlocked.Read(ref next);
            return now >= due && Interlocked.CompareExchange(ref next, now + 200, due) == due;
        }
    }
}
