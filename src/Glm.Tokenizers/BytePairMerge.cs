using System.Buffers;

namespace Glm.Tokenizers;

/// <summary>Decides whether two adjacent parts of a piece merge, and how early.</summary>
internal interface IMergeRule
{
    /// <summary>
    /// The parts are <paramref name="piece"/>[leftStart..rightStart) with id <paramref name="leftId"/> and
    /// [rightStart..rightEnd) with id <paramref name="rightId"/>. Returns false when they do not merge; otherwise
    /// the merge's rank (lower merges first) and the id of the merged token.
    /// </summary>
    bool TryMerge(ReadOnlySpan<byte> piece, int leftStart, int leftId, int rightStart, int rightId, int rightEnd,
        out int rank, out int mergedId);
}

/// <summary>
/// Rank-based byte-pair merging of one pre-tokenized piece, as tiktoken's <c>_byte_pair_merge</c> and Hugging Face's
/// BPE do it: repeatedly merge the adjacent pair of lowest rank, the leftmost one on ties, until no pair merges.
/// A heap with lazy invalidation keeps a long piece (a megabyte without spaces) at O(n log n) instead of tiktoken's
/// O(n^2) rescans.
/// </summary>
internal static class BytePairMerge
{
    private struct Candidate
    {
        public long Key; // rank << 32 | left part start: lowest rank first, then leftmost
        public int Left, Right, LeftId, RightId, MergedId;
    }

    private const int StackPieceBytes = 64; // up to here the work arrays live on the stack (about 7 KB)

    /// <summary>Appends the ids of <paramref name="piece"/> to <paramref name="output"/>; <paramref name="byteIds"/> holds
    /// the id of each single byte.</summary>
    public static void Encode<TRule>(ReadOnlySpan<byte> piece, TRule rule, ReadOnlySpan<int> byteIds, List<int> output)
        where TRule : IMergeRule
    {
        int n = piece.Length;
        if (n == 0) return;
        if (n == 1)
        {
            output.Add(byteIds[piece[0]]);
            return;
        }
        if (n <= StackPieceBytes)
        {
            Run(piece, rule, byteIds, output, stackalloc int[n], stackalloc int[n], stackalloc int[n], stackalloc Candidate[3 * n]);
            return;
        }

        int[] ids = ArrayPool<int>.Shared.Rent(n), next = ArrayPool<int>.Shared.Rent(n), prev = ArrayPool<int>.Shared.Rent(n);
        Candidate[] heap = ArrayPool<Candidate>.Shared.Rent(3 * n);
        try
        {
            Run(piece, rule, byteIds, output, ids, next, prev, heap);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ids);
            ArrayPool<int>.Shared.Return(next);
            ArrayPool<int>.Shared.Return(prev);
            ArrayPool<Candidate>.Shared.Return(heap);
        }
    }

    // Part i starts at byte i; a merged part keeps its left start. ids[i] == -1 marks a part merged away. The heap
    // needs n - 1 slots for the initial pairs and at most 2 more per merge.
    private static void Run<TRule>(ReadOnlySpan<byte> piece, TRule rule, ReadOnlySpan<int> byteIds, List<int> output,
        Span<int> ids, Span<int> next, Span<int> prev, Span<Candidate> heap) where TRule : IMergeRule
    {
        int n = piece.Length, heapCount = 0;
        for (int i = 0; i < n; i++)
        {
            ids[i] = byteIds[piece[i]];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }

        for (int i = 0; i + 1 < n; i++) Offer(piece, rule, ids, next, i, i + 1, heap, ref heapCount);

        while (heapCount > 0)
        {
            Candidate c = Pop(heap, ref heapCount);
            if (ids[c.Left] != c.LeftId || next[c.Left] != c.Right || ids[c.Right] != c.RightId) continue; // stale

            ids[c.Left] = c.MergedId;
            ids[c.Right] = -1;
            int after = next[c.Right];
            next[c.Left] = after;
            if (after >= 0) prev[after] = c.Left;

            if (prev[c.Left] >= 0) Offer(piece, rule, ids, next, prev[c.Left], c.Left, heap, ref heapCount);
            if (after >= 0) Offer(piece, rule, ids, next, c.Left, after, heap, ref heapCount);
        }

        for (int i = 0; i >= 0; i = next[i]) output.Add(ids[i]);
    }

    private static void Offer<TRule>(ReadOnlySpan<byte> piece, TRule rule, Span<int> ids, Span<int> next, int left, int right,
        Span<Candidate> heap, ref int count) where TRule : IMergeRule
    {
        int rightEnd = next[right] >= 0 ? next[right] : piece.Length;
        if (!rule.TryMerge(piece, left, ids[left], right, ids[right], rightEnd, out int rank, out int merged)) return;

        var c = new Candidate
        {
            Key = ((long)rank << 32) | (uint)left, Left = left, Right = right,
            LeftId = ids[left], RightId = ids[right], MergedId = merged,
        };
        int i = count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (heap[parent].Key <= c.Key) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = c;
    }

    private static Candidate Pop(Span<Candidate> heap, ref int count)
    {
        Candidate top = heap[0];
        Candidate last = heap[--count];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= count) break;
            if (child + 1 < count && heap[child + 1].Key < heap[child].Key) child++;
            if (heap[child].Key >= last.Key) break;
            heap[i] = heap[child];
            i = child;
        }
        if (count > 0) heap[i] = last;
        return top;
    }
}
