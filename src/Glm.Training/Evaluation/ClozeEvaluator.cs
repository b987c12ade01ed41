using Glm.Core;
using Glm.Training.Training;

namespace Glm.Training.Evaluation;

/// <summary>Accuracy on last-word cloze items, with the most-frequent-word baseline beside it.</summary>
/// <param name="Accuracy">Share of items whose generated word equals the target exactly.</param>
/// <param name="BaselineAccuracy">Share of items whose target is the most frequent word of all the contexts.</param>
public sealed record ClozeResult(int Items, int Correct, double Accuracy, string BaselineWord, double BaselineAccuracy);

/// <summary>
/// LAMBADA-style scoring by generation: the last word of each text is the target. A blank-infilling model sees the
/// context followed by one [MASK] and generates the blank from &lt;sop&gt; to &lt;eop&gt;; a left-to-right model
/// continues the context. The first word generated is compared with the target (exact match, punctuation kept off).
/// </summary>
public static class ClozeEvaluator
{
    private const int MaxWordTokens = 12;

    public static ClozeResult Evaluate(TrainedModel trained, IReadOnlyList<string> texts, IProgress<int>? progress = null)
    {
        var items = texts.Select(Split).Where(i => i is not null).Select(i => i!.Value).ToList();
        if (items.Count == 0) throw new GlmException("no cloze items: every line needs a \"text\" with at least two words");
        var tokenizer = trained.Tokenizer;
        var filler = new BlankFiller(trained.Model, tokenizer.Special, trained.MaxSequenceLength);
        int correct = 0, done = 0;
        foreach (var (context, target) in items)
        {
            var ids = tokenizer.Encode(context);
            int keep = Math.Max(1, trained.MaxSequenceLength - MaxWordTokens - 4);
            if (ids.Length > keep) ids = ids[^keep..];
            string generated;
            if (trained.Objective == TrainingObjective.Infill)
            {
                int[] partA = [.. ids, tokenizer.Special.Mask];
                generated = tokenizer.Decode(filler.FillAll(partA, MaxWordTokens).Fills[0]);
            }
            else
            {
                var tokens = filler.Continue(ids, MaxWordTokens, g => EndsWord(tokenizer.Decode(g.ToArray())));
                generated = tokenizer.Decode(tokens);
            }
            if (FirstWord(generated) == target) correct++;
            progress?.Report(++done);
        }
        var baseline = items.SelectMany(i => Words(i.Context)).GroupBy(w => w).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        int baselineHits = items.Count(i => i.Target == baseline);
        return new ClozeResult(items.Count, correct, (double)correct / items.Count, baseline, (double)baselineHits / items.Count);
    }

    /// <summary>Context (without the trailing space) and target word, or null when the text has fewer than two words.</summary>
    public static (string Context, string Target)? Split(string text)
    {
        string trimmed = text.TrimEnd();
        int space = trimmed.LastIndexOfAny([' ', '\n', '\t']);
        if (space <= 0) return null;
        string target = Clean(trimmed[(space + 1)..]);
        string context = trimmed[..space].TrimEnd();
        return target.Length == 0 || context.Length == 0 ? null : (context, target);
    }

    private static bool EndsWord(string text)
    {
        string t = text.TrimStart();
        return t.Length > 0 && t.IndexOfAny([' ', '\n', '\t']) > 0;
    }

    private static string FirstWord(string text)
    {
        var parts = text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 0 ? "" : Clean(parts[0]);
    }

    private static IEnumerable<string> Words(string text) =>
        text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(Clean).Where(w => w.Length > 0);

    private static string Clean(string word) => word.Trim('.', ',', ';', ':', '!', '?', '"', '\'', '(', ')', '[', ']');
}
