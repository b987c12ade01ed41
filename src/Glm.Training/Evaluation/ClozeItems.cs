using System.Text.RegularExpressions;
using Glm.Training.Data;

namespace Glm.Training.Evaluation;

/// <summary>Where <see cref="ClozeItems"/> puts the blank.</summary>
public enum ClozeBlankPlace
{
    /// <summary>The last word of a line (LAMBADA style); the model sees only what comes before.</summary>
    LastWord,

    /// <summary>A word inside a line, chosen at random; the model sees the text on both sides.</summary>
    Inside,
}

/// <summary>
/// Makes single-word fill-in-the-blank items from held-out text: one item per line that has enough words, with up to
/// <c>contextChars</c> of the text before it (and, for <see cref="ClozeBlankPlace.Inside"/>, the rest of the line).
/// Deterministic for a seed.
/// </summary>
public static partial class ClozeItems
{
    public static IEnumerable<ClozeItem> FromSegments(IEnumerable<CorpusSegment> segments, int count, ClozeBlankPlace place,
        int seed = 1, int minWords = 8, int contextChars = 300)
    {
        var rng = new Random(seed);
        int made = 0;
        foreach (var segment in segments)
        {
            int offset = 0;
            foreach (string line in segment.Text.Split('\n'))
            {
                string before = ContextBefore(segment.Text, offset, contextChars);
                offset += line.Length + 1;
                var words = Word().Matches(line);
                if (words.Count <= minWords) continue;
                var item = place == ClozeBlankPlace.LastWord
                    ? ClozeItem.LastWord(before + TrailingPunctuation().Replace(line.TrimEnd(), ""))
                    : Inside(before, line, words[rng.Next(minWords / 2, words.Count - 1)]);
                if (item is null || Word().Match(item.Answer).Value != item.Answer) continue;
                yield return item;
                if (++made == count) yield break;
            }
        }
    }

    // The blank replaces " word" (the word and the space before it) inside the line.
    private static ClozeItem? Inside(string before, string line, Match word)
    {
        int start = word.Index;
        if (start == 0 || line[start - 1] != ' ') return null;
        return new ClozeItem(before + line[..(start - 1)] + ClozeItem.Blank + line[(start + word.Length)..], word.Value);
    }

    // Up to maxChars of the segment before offset, starting at a word boundary.
    private static string ContextBefore(string text, int offset, int maxChars)
    {
        int start = Math.Max(0, offset - maxChars);
        string context = text[start..offset];
        return start == 0 ? context : context[(context.IndexOfAny([' ', '\n']) + 1)..];
    }

    [GeneratedRegex(@"\p{L}+")]
    private static partial Regex Word();

    [GeneratedRegex(@"[\p{P}]+$")]
    private static partial Regex TrailingPunctuation();
}
