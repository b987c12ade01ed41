using System.Buffers;

namespace Glm.Tokenizers;

/// <summary>The special tokens of one tokenizer: text to id, and the search for them in trusted text.</summary>
internal sealed class SpecialTokenTable
{
    private readonly Dictionary<string, int> idByText = new(StringComparer.Ordinal);
    private readonly SearchValues<string>? search;

    /// <param name="tokens">Distinct texts with distinct ids.</param>
    /// <param name="endOfTextId">Overrides <see cref="SpecialTokenIds.EndOfText"/> (ChatGLM3 uses its eos).</param>
    public SpecialTokenTable(IReadOnlyList<(string Text, int Id)> tokens, int? endOfTextId = null)
    {
        Tokens = tokens;
        foreach ((string text, int id) in tokens) idByText.Add(text, id);
        if (tokens.Count > 0) search = SearchValues.Create(tokens.Select(t => t.Text).ToArray(), StringComparison.Ordinal);

        int Id(string text) => idByText.GetValueOrDefault(text, -1);
        Ids = new SpecialTokenIds(
            endOfTextId ?? Id(GlmSpecialTokens.EndOfText), Id(GlmSpecialTokens.Mask), Id(GlmSpecialTokens.GMask),
            Id(GlmSpecialTokens.SMask), Id(GlmSpecialTokens.Sop), Id(GlmSpecialTokens.Eop), Id(GlmSpecialTokens.System),
            Id(GlmSpecialTokens.User), Id(GlmSpecialTokens.Assistant), Id(GlmSpecialTokens.Observation));
    }

    public IReadOnlyList<(string Text, int Id)> Tokens { get; }

    public SpecialTokenIds Ids { get; }

    /// <summary>Splits <paramref name="text"/> at special-token strings (the longest one where several start at the
    /// same place) and encodes the text between them with <paramref name="encodeOrdinary"/>.</summary>
    public int[] Encode(string text, Func<string, int[]> encodeOrdinary)
    {
        if (search is null) return encodeOrdinary(text);

        var ids = new List<int>();
        int pos = 0;
        while (pos < text.Length)
        {
            int found = text.AsSpan(pos).IndexOfAny(search);
            if (found < 0) break;
            int at = pos + found;

            (string Text, int Id) best = ("", -1);
            foreach (var token in Tokens)
                if (token.Text.Length > best.Text.Length && text.AsSpan(at).StartsWith(token.Text, StringComparison.Ordinal))
                    best = token;

            if (at > pos) ids.AddRange(encodeOrdinary(text[pos..at]));
            ids.Add(best.Id);
            pos = at + best.Text.Length;
        }
        if (pos < text.Length) ids.AddRange(encodeOrdinary(text[pos..]));
        return [.. ids];
    }
}
