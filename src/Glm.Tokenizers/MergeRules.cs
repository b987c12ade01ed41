namespace Glm.Tokenizers;

/// <summary>Hugging Face BPE: two parts merge when (left id, right id) is in the merges list; rank = its index.</summary>
internal readonly struct PairMergeRule(Dictionary<long, (int Rank, int Merged)> merges) : IMergeRule
{
    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    public bool TryMerge(ReadOnlySpan<byte> piece, int leftStart, int leftId, int rightStart, int rightId, int rightEnd,
        out int rank, out int mergedId)
    {
        bool found = merges.TryGetValue(Key(leftId, rightId), out var merge);
        (rank, mergedId) = merge;
        return found;
    }
}

/// <summary>tiktoken: two parts merge when their concatenated bytes are a token; rank = that token's id.</summary>
internal readonly struct RankMergeRule(Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> ranks) : IMergeRule
{
    public bool TryMerge(ReadOnlySpan<byte> piece, int leftStart, int leftId, int rightStart, int rightId, int rightEnd,
        out int rank, out int mergedId)
    {
        bool found = ranks.TryGetValue(piece[leftStart..rightEnd], out rank);
        mergedId = rank;
        return found;
    }
}
