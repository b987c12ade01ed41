using System.Globalization;
using System.Text;

namespace Glm.Tokenizers;

/// <summary>
/// The GLM-4 pre-tokenizer (glm-spec.md 3.3), matched by hand over UTF-8 bytes instead of with .NET's Regex.
/// .NET regex classes see UTF-16 code units, so astral letters (CJK Ext-B, math alphabets) would not be
/// <c>\p{L}</c> there (spec pitfall 11); here every class test is on a whole code point. Working on bytes also
/// gives byte ranges directly: a piece never splits a code point, and an invalid UTF-8 sequence is one unit of
/// class "other" (like U+FFFD), so arbitrary bytes are split losslessly. Tests check this matcher against
/// <see cref="Pattern"/> run by .NET Regex on BMP text.
/// </summary>
internal static class Glm4PreTokenizer
{
    /// <summary>The exact GLM-4 pattern, as written into tokenizer.json.</summary>
    public const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private enum Kind : byte { Other, Letter, Number, Space }

    private static readonly Kind[] Ascii = BuildAsciiKinds();

    /// <summary>End (exclusive) of the piece that starts at <paramref name="start"/> (&lt; text.Length).</summary>
    public static int NextPieceEnd(ReadOnlySpan<byte> text, int start)
    {
        int cp0 = Decode(text, start, out Kind k0, out int len0);
        int p1 = start + len0;

        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (cp0 == '\'' && p1 < text.Length)
        {
            int end = ContractionEnd(text, p1);
            if (end > 0) return end;
        }

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (k0 == Kind.Letter) return RunEnd(text, p1, Kind.Letter);
        if (k0 != Kind.Number && cp0 != '\r' && cp0 != '\n' && p1 < text.Length && KindAt(text, p1, out int len1) == Kind.Letter)
            return RunEnd(text, p1 + len1, Kind.Letter);

        // \p{N}{1,3}
        if (k0 == Kind.Number)
        {
            int end = p1;
            for (int n = 1; n < 3 && end < text.Length && KindAt(text, end, out int len) == Kind.Number; n++) end += len;
            return end;
        }

        // ' '?[^\s\p{L}\p{N}]+[\r\n]*
        int q = cp0 == ' ' && p1 < text.Length && KindAt(text, p1, out _) == Kind.Other ? p1 : start;
        if (KindAt(text, q, out _) == Kind.Other)
        {
            int end = RunEnd(text, q, Kind.Other);
            while (end < text.Length && (text[end] == '\r' || text[end] == '\n')) end++;
            return end;
        }

        // Only whitespace is left. Scan its run once for the three whitespace alternatives.
        int runEnd = start, lastUnitStart = start, units = 0, lastNewlineEnd = -1;
        while (runEnd < text.Length)
        {
            int cp = Decode(text, runEnd, out Kind k, out int len);
            if (k != Kind.Space) break;
            lastUnitStart = runEnd;
            runEnd += len;
            units++;
            if (cp == '\r' || cp == '\n') lastNewlineEnd = runEnd;
        }

        if (lastNewlineEnd > 0) return lastNewlineEnd;          // \s*[\r\n]+ (backtracks to the last newline)
        if (runEnd == text.Length || units == 1) return runEnd;  // \s+(?!\S) at the end of text, else \s+
        return lastUnitStart;                                    // \s+(?!\S): leave one space for the next word
    }

    // After the apostrophe: s|t|re|ve|m|ll|d, case-insensitively (U+017F long s folds to 's' as in Unicode regex
    // engines). Returns the end of the contraction, or 0 when none matches.
    private static int ContractionEnd(ReadOnlySpan<byte> text, int p)
    {
        int c = LowerAscii(text[p]);
        if (c == 's' || c == 't' || c == 'm' || c == 'd') return p + 1;
        if (p + 1 < text.Length && text[p] == 0xC5 && text[p + 1] == 0xBF) return p + 2;
        if (p + 1 >= text.Length) return 0;
        int c2 = LowerAscii(text[p + 1]);
        return (c == 'r' && c2 == 'e') || (c == 'v' && c2 == 'e') || (c == 'l' && c2 == 'l') ? p + 2 : 0;
    }

    private static int LowerAscii(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? b + 32 : b;

    private static int RunEnd(ReadOnlySpan<byte> text, int p, Kind kind)
    {
        while (p < text.Length && KindAt(text, p, out int len) == kind) p += len;
        return p;
    }

    private static Kind KindAt(ReadOnlySpan<byte> text, int p, out int length)
    {
        Decode(text, p, out Kind kind, out length);
        return kind;
    }

    // Returns the code point at p (-1 for an invalid sequence, which is one unit of kind Other).
    private static int Decode(ReadOnlySpan<byte> text, int p, out Kind kind, out int length)
    {
        byte b = text[p];
        if (b < 0x80)
        {
            kind = Ascii[b];
            length = 1;
            return b;
        }

        if (Rune.DecodeFromUtf8(text[p..], out Rune rune, out length) != System.Buffers.OperationStatus.Done)
        {
            kind = Kind.Other;
            return -1;
        }

        kind = Classify(rune);
        return rune.Value;
    }

    private static Kind Classify(Rune rune)
    {
        // \s is Unicode White_Space: \t..\r, U+0085 and the separators (Zs, Zl, Zp), exactly .NET's [\f\n\r\t\v\x85\p{Z}].
        if (rune.Value is >= 9 and <= 13 or 0x85) return Kind.Space;
        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                return Kind.Letter;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                return Kind.Number;
            case UnicodeCategory.SpaceSeparator:
            case UnicodeCategory.LineSeparator:
            case UnicodeCategory.ParagraphSeparator:
                return Kind.Space;
            default:
                return Kind.Other;
        }
    }

    private static Kind[] BuildAsciiKinds()
    {
        var kinds = new Kind[128];
        for (int c = 0; c < 128; c++) kinds[c] = Classify(new Rune(c));
        return kinds;
    }
}
