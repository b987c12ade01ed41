using Glm.Core;
using Glm.Training.Training;

namespace Glm.Training.Evaluation;

/// <summary>Accuracy on single-word blanks, with the most-frequent-word baseline beside it.</summary>
/// <param name="Accuracy">Share of items whose generated word equals the answer exactly.</param>
/// <param name="BaselineAccuracy">Share of items whose answer is the most frequent word of all the item texts.</param>
public sealed record ClozeResult(int Items, int Correct, double Accuracy, string BaselineWord, double BaselineAccuracy);

/// <summary>
/// Scores fill-in-the-blank items by generation. A blank-infilling model reads the whole text (both sides of the
/// [MASK]) and generates the blank from &lt;sop&gt; to &lt;eop&gt;; a left-to-right model continues the text before
/// the blank. The first generated word, punctuation stripped, must equal the answer exactly.
/// </summary>
public static class ClozeEvaluator
{
    private const int MaxWordTokens = 12;

    public static ClozeResult Evaluate(TrainedModel trained, IReadOnlyList<ClozeItem> items, IProgress<int>? progress = null)
    {
        if (items.Count == 0) throw new GlmException("no cloze items");
        var tokenizer = trained.Tokenizer;
        var filler = new BlankFiller(trained.Model, tokenizer.Special, trained.MaxSequenceLength);
        int correct = 0, done = 0, budget = Math.Max(1, trained.MaxSequenceLength - MaxWordTokens - 4);
        foreach (var item in items)
        {
            string generated;
            if (trained.Objective == TrainingObjective.Infill)
            {
                int[] partA = tokenizer.EncodeWithSpecialTokens(item.Text);
                int blank = Array.IndexOf(partA, tokenizer.Special.Mask);
                int start = Math.Clamp(blank - budget / 2, 0, Math.Max(0, partA.Length - budget));
                partA = partA[start..Math.Min(partA.Length, start + budget)];   // a window around the blank
                generated = tokenizer.Decode(filler.FillAll(partA, MaxWordTokens).Fills[0]);
            }
            else
            {
                var context = tokenizer.Encode(item.Prefix);
                if (context.Length > budget) context = context[^budget..];
                generated = tokenizer.Decode(filler.Continue(context, MaxWordTokens, g => EndsWord(tokenizer.Decode(g.ToArray()))));
            }
            if (ClozeItem.FirstWord(generated) == item.Answer) correct++;
            progress?.Report(++done);
        }
        var baseline = items.SelectMany(i => Words(i.Text.Replace(ClozeItem.Blank, " "))).GroupBy(w => w)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        int baselineHits = items.Count(i => i.Answer == baseline);
        return new ClozeResult(items.Count, correct, (double)correct / items.Count, baseline, (double)baselineHits / items.Count);
    }

    private static bool EndsWord(string text)
    {
        string t = text.TrimStart();
        return t.Length > 0 && t.IndexOfAny([' ', '\n', '\t']) > 0;
    }

    private static IEnumerable<string> Words(string text) =>
        text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(ClozeItem.CleanWord).Where(w => w.Length > 0);
}
