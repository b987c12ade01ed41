using System.Text;

namespace Glm.Tokenizers.Tests;

/// <summary>Random text and bytes for property tests; every generator is seeded, so failures reproduce.</summary>
internal static class TestText
{
    private static readonly string[] Fragments =
    [
        "the", "The", " cat", " sat", "on", " mat", "'s", "'LL", "'re", "don't", "I'M", "42", "12345", "3.14", "²", "٣٤",
        " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n", "\u00A0", "\u3000", "\u2028", "\u0085",
        "你好", "世界", "，", "。", "日本語", "한국어", "Ελληνικά", "русский", "e\u0301", "a\u0308\u0323",
        "😀", "👍🏽", "👨‍👩‍👧", "𠀀𠀁", "𝐀𝐁𝐂", " 𝒳", "!", "?!", "...", "(", ")", "{\"a\": 1}", "<", ">", "-->",
        "[MASK]", "[gMASK]", "<|user|>", "<|endoftext|>", "<sop>", "\u200B", "\uFEFF", "ǅ", "ſ",
    ];

    /// <summary>A string of random fragments and random code points (never lone surrogates).</summary>
    public static string RandomString(Random random, int maxParts = 12)
    {
        var sb = new StringBuilder();
        int parts = random.Next(maxParts + 1);
        for (int i = 0; i < parts; i++)
        {
            if (random.Next(3) == 0) sb.Append(char.ConvertFromUtf32(RandomCodePoint(random)));
            else sb.Append(Fragments[random.Next(Fragments.Length)]);
        }
        return sb.ToString();
    }

    /// <summary>Random bytes, biased towards UTF-8 lead and continuation bytes so that near-valid sequences appear.</summary>
    public static byte[] RandomBytes(Random random, int maxLength = 40)
    {
        var bytes = new byte[random.Next(maxLength + 1)];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = random.Next(4) switch
            {
                0 => (byte)random.Next(0x20, 0x7F),
                1 => (byte)random.Next(0x80, 0xC0),
                2 => (byte)random.Next(0xC0, 0x100),
                _ => (byte)random.Next(256),
            };
        }
        return bytes;
    }

    /// <summary>English-like training text of about <paramref name="words"/> words.</summary>
    public static string EnglishText(int seed, int words)
    {
        string[] vocabulary =
        [
            "the", "cat", "sat", "on", "mat", "and", "dog", "ran", "to", "house", "little", "girl", "said", "hello",
            "there", "was", "once", "a", "king", "who", "lived", "in", "castle", "with", "his", "daughter", "they",
        ];
        var random = new Random(seed);
        var sb = new StringBuilder();
        for (int i = 0; i < words; i++)
        {
            sb.Append(vocabulary[random.Next(vocabulary.Length)]);
            sb.Append(random.Next(12) switch { 0 => ". ", 1 => ", ", 2 => "\n", _ => " " });
        }
        return sb.ToString();
    }

    private static int RandomCodePoint(Random random) => random.Next(6) switch
    {
        0 => random.Next(0x20, 0x7F),
        1 => random.Next(0x80, 0x800),
        2 => random.Next(0x4E00, 0xA000),
        3 => random.Next(0x1F300, 0x1F700),
        4 => random.Next(0x20000, 0x2A6E0),
        _ => RandomBmpNonSurrogate(random),
    };

    private static int RandomBmpNonSurrogate(Random random)
    {
        while (true)
        {
            int c = random.Next(0x01, 0x10000);
            if (c is < 0xD800 or > 0xDFFF) return c;
        }
    }
}
