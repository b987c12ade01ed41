using Glm.Tokenizers;

namespace Glm.Training.Evaluation;

/// <summary>
/// The token windows a model sees for a <see cref="CodeItem"/>: the prefix ends exactly where the target line starts
/// and the suffix starts exactly at the '\n' that ends it. Each side is encoded on its own (the GLM-4 pre-tokenizer
/// ends a piece at a newline, so a line start is a natural cut) and cut to the budget away from the target.
/// </summary>
public static class CodeWindows
{
    /// <summary>Characters encoded per budget token at most, so that a long file is never encoded whole.</summary>
    private const int CharsPerToken = 32;

    /// <summary>The last <paramref name="budget"/> tokens before the target line.</summary>
    public static int[] Prefix(ByteLevelBpeTokenizer tokenizer, CodeItem item, int budget)
    {
        var tokens = tokenizer.Encode(Tail(item.Prefix, budget * CharsPerToken));
        return tokens[Math.Max(0, tokens.Length - budget)..];
    }

    /// <summary>
    /// Part A for fill-in-the-middle: prefix tokens, one [MASK] for the whole target line, then the suffix tokens
    /// ("\n" and the lines after), <paramref name="budget"/> tokens at most besides the mask. The suffix gets a third
    /// of the budget, the prefix the rest (and what a short suffix leaves).
    /// </summary>
    public static int[] FillInTheMiddle(ByteLevelBpeTokenizer tokenizer, CodeItem item, int budget)
    {
        var suffix = tokenizer.Encode(Head(item.Suffix, budget * CharsPerToken));
        suffix = suffix[..Math.Min(suffix.Length, budget / 3)];
        return [.. Prefix(tokenizer, item, budget - suffix.Length), tokenizer.Special.Mask, .. suffix];
    }

    // The end of text, from a line start, at most maxChars long (all of it when short enough).
    private static string Tail(string text, int maxChars)
    {
        if (text.Length <= maxChars) return text;
        int newline = text.IndexOf('\n', text.Length - maxChars);
        return newline < 0 || newline == text.Length - 1 ? text[^maxChars..] : text[(newline + 1)..];
    }

    // The start of text, up to a line end, at most maxChars long (all of it when short enough).
    private static string Head(string text, int maxChars)
    {
        if (text.Length <= maxChars) return text;
        int newline = text.LastIndexOf('\n', maxChars - 1);
        return newline <= 0 ? text[..maxChars] : text[..newline];
    }
}
