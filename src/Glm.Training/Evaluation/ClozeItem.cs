using System.Text.Json;
using Glm.Core;

namespace Glm.Training.Evaluation;

/// <summary>
/// One fill-in-the-blank item: <see cref="Text"/> holds exactly one [MASK] where <see cref="Answer"/> (one word) was.
/// The blank takes the space in front of the word, as byte-level BPE writes " word" as one piece.
/// </summary>
public sealed record ClozeItem(string Text, string Answer)
{
    public const string Blank = "[MASK]";

    /// <summary>
    /// Parses a JSONL line: <c>{"text": "... [MASK] ...", "answer": "word"}</c>, or LAMBADA style
    /// <c>{"text": "..."}</c> whose last word is the answer. Null when the text has fewer than two words.
    /// </summary>
    public static ClozeItem? Parse(string jsonLine, string file, int lineNumber)
    {
        string text, answer;
        try
        {
            using var doc = JsonDocument.Parse(jsonLine);
            text = doc.RootElement.GetProperty("text").GetString() ?? "";
            answer = doc.RootElement.TryGetProperty("answer", out var a) ? a.GetString() ?? "" : "";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new GlmException($"{file}:{lineNumber}: expected {{\"text\": ...}} with an optional \"answer\": {e.Message}");
        }
        if (answer.Length == 0) return LastWord(text);
        int blank = text.IndexOf(Blank, StringComparison.Ordinal);
        if (blank < 0 || text.IndexOf(Blank, blank + 1, StringComparison.Ordinal) >= 0)
            throw new GlmException($"{file}:{lineNumber}: a text with an \"answer\" needs exactly one {Blank}");
        return new ClozeItem(text, answer.Trim());
    }

    /// <summary>The last word of <paramref name="text"/> (punctuation stripped) becomes the blank.</summary>
    public static ClozeItem? LastWord(string text)
    {
        string trimmed = text.TrimEnd();
        int space = trimmed.LastIndexOfAny([' ', '\n', '\t']);
        if (space <= 0) return null;
        string answer = CleanWord(trimmed[(space + 1)..]);
        string context = trimmed[..space].TrimEnd();
        return answer.Length == 0 || context.Length == 0 ? null : new ClozeItem(context + Blank, answer);
    }

    /// <summary>The text before the blank (for left-to-right models, which cannot see what follows).</summary>
    public string Prefix => Text[..Text.IndexOf(Blank, StringComparison.Ordinal)];

    /// <summary>The first word of generated text, punctuation stripped, for comparing with the answer.</summary>
    public static string FirstWord(string generated)
    {
        var parts = generated.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 0 ? "" : CleanWord(parts[0]);
    }

    public static string CleanWord(string word) => word.Trim('.', ',', ';', ':', '!', '?', '"', '\'', '(', ')', '[', ']');
}
