using System.Buffers;
using System.Text;
using Glm.Core;

namespace Glm.Tokenizers;

/// <summary>Turns one pre-tokenized piece (2+ bytes) into token ids.</summary>
internal interface IPieceEncoder
{
    void EncodePiece(ReadOnlySpan<byte> piece, List<int> output);
}

/// <summary>
/// What every byte-level BPE tokenizer here shares: GLM-4 pre-tokenization, a piece cache, special tokens, and
/// decoding through each token's bytes. The merge rule is the <see cref="IPieceEncoder"/>. Thread-safe.
/// </summary>
internal sealed class ByteBpeCodec
{
    private readonly byte[][] tokenBytes; // every id, specials included (their UTF-8 text)
    private readonly bool[] special;
    private readonly int[] byteIds;
    private readonly IPieceEncoder encoder;
    private readonly PieceCache cache = new();

    /// <summary><paramref name="tokenBytes"/> holds the bytes of every id 0..V-1 (specials: their text), none missing;
    /// <paramref name="byteIds"/> the id of each single byte.</summary>
    public ByteBpeCodec(byte[][] tokenBytes, int[] byteIds, SpecialTokenTable specials, IPieceEncoder encoder)
    {
        this.tokenBytes = tokenBytes;
        this.byteIds = byteIds;
        this.encoder = encoder;
        Specials = specials;
        special = new bool[tokenBytes.Length];
        foreach ((_, int id) in specials.Tokens) special[id] = true;
    }

    public SpecialTokenTable Specials { get; }

    public int VocabSize => tokenBytes.Length;

    public bool IsSpecial(int id) => special[CheckId(id)];

    public int[] Encode(string text)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(text));
        try
        {
            int length = Encoding.UTF8.GetBytes(text, buffer);
            return EncodeBytes(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public int[] EncodeWithSpecialTokens(string text) => Specials.Encode(text, Encode);

    public int[] EncodeBytes(ReadOnlySpan<byte> utf8)
    {
        var output = new List<int>(utf8.Length / 3 + 4);
        for (int start = 0; start < utf8.Length;)
        {
            int end = Glm4PreTokenizer.NextPieceEnd(utf8, start);
            ReadOnlySpan<byte> piece = utf8[start..end];
            start = end;

            if (piece.Length == 1)
            {
                output.Add(byteIds[piece[0]]);
            }
            else if (cache.TryGet(piece, out int[] cached))
            {
                output.AddRange(cached);
            }
            else
            {
                int before = output.Count;
                encoder.EncodePiece(piece, output);
                var ids = new int[output.Count - before];
                output.CopyTo(before, ids, 0, ids.Length);
                cache.Add(piece, ids);
            }
        }
        return [.. output];
    }

    public byte[] DecodeBytes(ReadOnlySpan<int> ids) => DecodeBytes(ids, skipSpecialTokens: false);

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens) =>
        Encoding.UTF8.GetString(DecodeBytes(ids, skipSpecialTokens));

    public string TokenText(int id) => special[CheckId(id)] ? Encoding.UTF8.GetString(tokenBytes[id]) : Display(tokenBytes[id]);

    /// <summary>Valid UTF-8 as text; each byte of an invalid sequence as <c>\xNN</c>.</summary>
    private static string Display(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out Rune rune, out int used) == OperationStatus.Done)
                sb.Append(rune.ToString());
            else
                foreach (byte b in bytes[..used]) sb.Append($"\\x{b:X2}");
            bytes = bytes[used..];
        }
        return sb.ToString();
    }

    private byte[] DecodeBytes(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        int length = 0;
        foreach (int id in ids)
            if (!(special[CheckId(id)] && skipSpecialTokens)) length += tokenBytes[id].Length;

        var bytes = new byte[length];
        int at = 0;
        foreach (int id in ids)
        {
            if (skipSpecialTokens && special[id]) continue;
            tokenBytes[id].CopyTo(bytes, at);
            at += tokenBytes[id].Length;
        }
        return bytes;
    }

    private int CheckId(int id) =>
        (uint)id < (uint)tokenBytes.Length ? id : throw new GlmException($"token id {id} is outside the vocabulary (0..{tokenBytes.Length - 1})");
}
