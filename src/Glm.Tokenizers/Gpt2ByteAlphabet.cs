namespace Glm.Tokenizers;

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c>: the 256 bytes as 256 printable characters, which is how byte-level BPE vocab
/// and merges are spelled in Hugging Face tokenizer.json files. Printable Latin-1 bytes map to themselves; the
/// other 68 bytes map, in byte order, to U+0100.. (so the space 0x20 becomes 'Ġ' U+0120).
/// </summary>
internal static class Gpt2ByteAlphabet
{
    private static readonly char[] CharOfByte = BuildTable();
    private static readonly Dictionary<char, byte> ByteOfChar =
        Enumerable.Range(0, 256).ToDictionary(b => CharOfByte[b], b => (byte)b);

    public static string Spell(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = CharOfByte[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes a byte-level string stands for; null if it has a character outside the alphabet.</summary>
    public static byte[]? Unspell(string text)
    {
        var bytes = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            if (!ByteOfChar.TryGetValue(text[i], out bytes[i])) return null;
        }
        return bytes;
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)(256 + extra++);
        }
        return table;
    }
}
