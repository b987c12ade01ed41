using System.Text;
using Glm.Tokenizers;

namespace Glm.Inference.Generation;

/// <summary>
/// Turns generated token ids into text as they arrive, emitting only complete UTF-8 sequences: the bytes of a
/// character split across tokens (a CJK character or an emoji) are held back until the rest arrive. Bytes that can no
/// longer become a valid character are emitted as U+FFFD. Special tokens are skipped. Not thread-safe.
/// </summary>
public sealed class Utf8StreamDecoder
{
    private readonly IGlmTokenizer _tokenizer;
    private readonly List<byte> _pending = [];

    public Utf8StreamDecoder(IGlmTokenizer tokenizer) =>
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));

    /// <summary>Adds one token; returns the text that is now complete (possibly empty).</summary>
    public string Append(int id)
    {
        if (_tokenizer.IsSpecial(id))
        {
            return "";
        }
        _pending.AddRange(_tokenizer.DecodeBytes([id]));
        int complete = CompleteLength(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        if (complete == 0)
        {
            return "";
        }
        string text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending)[..complete]);
        _pending.RemoveRange(0, complete);
        return text;
    }

    /// <summary>Whatever is held back, decoded now (an unfinished character becomes U+FFFD); then empty.</summary>
    public string Flush()
    {
        string text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        _pending.Clear();
        return text;
    }

    /// <summary>
    /// Length of the prefix of <paramref name="bytes"/> that ends on a character boundary: everything except a
    /// trailing lead byte plus fewer continuation bytes than it announces.
    /// </summary>
    public static int CompleteLength(ReadOnlySpan<byte> bytes)
    {
        int n = bytes.Length;
        // Look back over at most 3 continuation bytes for the lead byte of the last sequence.
        for (int back = 1; back <= Math.Min(4, n); back++)
        {
            byte b = bytes[n - back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // continuation byte
            }
            int need = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 1;
            return back < need ? n - back : n;
        }
        return n; // only continuation bytes: invalid, let the decoder replace them
    }
}
