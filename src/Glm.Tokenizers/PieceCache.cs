namespace Glm.Tokenizers;

/// <summary>
/// A bounded, lock-free map from a pre-tokenized piece to its token ids: a direct-mapped table where a new piece
/// simply replaces whatever shared its slot. Entries are immutable and slots are written whole, so readers on other
/// threads see either the old or the new entry, never a torn one. Natural text repeats a small set of pieces, so
/// most lookups hit while memory stays flat on endless streams.
/// </summary>
internal sealed class PieceCache
{
    public const int Slots = 1 << 17;
    public const int MaxPieceBytes = 64; // longer pieces are rare and would only evict common ones

    private sealed record Entry(byte[] Piece, int[] Ids);

    private readonly Entry?[] slots = new Entry?[Slots];

    public bool TryGet(ReadOnlySpan<byte> piece, out int[] ids)
    {
        Entry? entry = Volatile.Read(ref slots[Slot(piece)]);
        if (entry is not null && piece.SequenceEqual(entry.Piece))
        {
            ids = entry.Ids;
            return true;
        }
        ids = [];
        return false;
    }

    public void Add(ReadOnlySpan<byte> piece, int[] ids)
    {
        if (piece.Length <= MaxPieceBytes) Volatile.Write(ref slots[Slot(piece)], new Entry(piece.ToArray(), ids));
    }

    private static int Slot(ReadOnlySpan<byte> piece) => ByteSequenceComparer.Instance.GetHashCode(piece) & (Slots - 1);
}
