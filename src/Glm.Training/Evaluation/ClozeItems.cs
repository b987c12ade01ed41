using System.Text.RegularExpressions;
using Glm.Training.Data;

namespace Glm.Training.Evaluation;

/// <summary>
/// Makes last-word cloze items from held-out text: each line with enough words gives one item whose target is its
/// last word (punctuation stripped), with the preceding lines of the same segment as extra context.
/// </summary>
public static partial class ClozeItems
{
    /// <param name="segments">Held-out segments (never trained on).</param>
    /// <param name="minWords">Fewest words of context before the target.</param>
    /// <param name="contextChars">How much earlier text of the segment to keep in front of the line.</param>
    public static IEnumerable<string> FromSegments(IEnumerable<CorpusSegment> segments, int count, int minWords = 8, int contextChars = 300)
    {
        int made = 0;
        foreach (var segment in segments)
        {
            var lines = segment.Text.Split('\n');
            int offset = 0;
            foreach (string line in lines)
            {
                string trimmed = TrailingPunctuation().Replace(line.TrimEnd(), "");
                var words = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                bool usable = words.Length > minWords && WordPattern().IsMatch(words[^1]);
                if (usable)
                {
                    int start = Math.Max(0, offset - contextChars);
                    string context = segment.Text[start..offset];
                    int cut = start == 0 ? 0 : context.IndexOfAny([' ', '\n']) + 1;
                    yield return context[cut..] + trimmed;
                    if (++made == count) yield break;
                }
                offset += line.Length + 1;
            }
        }
    }

    [GeneratedRegex(@"[\p{P}]+$")]
    private static partial Regex TrailingPunctuation();

    [GeneratedRegex(@"^\p{L}+$")]
    private static partial Regex WordPattern();
}
