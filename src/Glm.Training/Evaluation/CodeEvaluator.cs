using Glm.Core;
using Glm.Training.Training;

namespace Glm.Training.Evaluation;

/// <summary>Which code-completion tasks <see cref="CodeEvaluator"/> scores.</summary>
[Flags]
public enum CodeTasks
{
    NextLine = 1,
    FillInTheMiddle = 2,
    Both = NextLine | FillInTheMiddle,
}

/// <summary>Exact-match score of one task.</summary>
public sealed record CodeScore(int Correct, double Accuracy)
{
    public static CodeScore Of(int correct, int items) => new(correct, (double)correct / items);
}

/// <summary>Code-completion scores, null for a task not scored (with <see cref="Note"/> saying why where not obvious).</summary>
/// <param name="Baseline">Repeating the previous non-blank line, the same guess for both tasks.</param>
public sealed record CodeResult(int Items, CodeScore? NextLine, CodeScore? FillInTheMiddle, CodeScore Baseline, string? Note);

/// <summary>
/// Exact-match line completion on code (<see cref="CodeItem"/>), greedy, each line ending at the first newline or end of
/// text. Next line: the model continues the text that ends right before the target line (a blank-infilling model
/// generates at a [gMASK] after it, the document-level mode; a left-to-right model continues it). Fill in the middle:
/// a blank-infilling model fills one [MASK] that stands for the whole target line, indentation included, seeing the
/// lines on both sides; left-to-right models cannot. The first generated line, trimmed, must equal the trimmed target.
/// Context: the model's sequence length less room for the line (a quarter of it, at most
/// <see cref="MaxLineTokens"/>) and two special tokens; see <see cref="CodeWindows"/> for how it is split.
/// </summary>
public static class CodeEvaluator
{
    public const string BaselineRule = "repeat the previous non-blank line";
    public const string LeftToRightCannotFill = "lm models cannot fill the middle";

    /// <summary>Most tokens generated for one line.</summary>
    public const int MaxLineTokens = 48;

    public static CodeResult Evaluate(TrainedModel trained, IReadOnlyList<CodeItem> items, CodeTasks tasks, IProgress<int>? progress = null)
    {
        if (items.Count == 0) throw new GlmException("no code items");
        bool infill = trained.Objective == TrainingObjective.Infill;
        bool nextLine = tasks.HasFlag(CodeTasks.NextLine), fim = tasks.HasFlag(CodeTasks.FillInTheMiddle) && infill;
        var tokenizer = trained.Tokenizer;
        var filler = new BlankFiller(trained.Model, tokenizer.Special, trained.MaxSequenceLength);
        int generate = Math.Clamp(trained.MaxSequenceLength / 4, 1, MaxLineTokens);
        int context = trained.MaxSequenceLength - generate - 2;   // room for [gMASK] or [MASK] and <sop> (lm: <|endoftext|>)
        if (context < 1) throw new GlmException($"the model's sequence length {trained.MaxSequenceLength} is too short for code completion");
        int endOfText = tokenizer.Special.EndOfText;
        Func<IReadOnlyList<int>, bool> endsLine = g => g[^1] == endOfText || tokenizer.Decode([g[^1]]).Contains('\n');
        string Text(int[] generated) => tokenizer.Decode(generated, skipSpecialTokens: true);
        int nextLineCorrect = 0, fimCorrect = 0, done = 0;
        foreach (var item in items)
        {
            if (nextLine)
            {
                int[] prefix = CodeWindows.Prefix(tokenizer, item, context);
                int[] line = infill
                    ? filler.FillAll([.. prefix, tokenizer.Special.GMask], generate, stop: endsLine).Fills[0]
                    : filler.Continue(prefix, generate, endsLine);
                if (item.IsAnsweredBy(Text(line))) nextLineCorrect++;
            }
            if (fim)
            {
                int[] partA = CodeWindows.FillInTheMiddle(tokenizer, item, context);
                if (item.IsAnsweredBy(Text(filler.FillAll(partA, generate, stop: endsLine).Fills[0]))) fimCorrect++;
            }
            progress?.Report(++done);
        }
        return new CodeResult(items.Count,
            nextLine ? CodeScore.Of(nextLineCorrect, items.Count) : null,
            fim ? CodeScore.Of(fimCorrect, items.Count) : null,
            Baseline(items),
            tasks.HasFlag(CodeTasks.FillInTheMiddle) && !infill ? LeftToRightCannotFill : null);
    }

    /// <summary>Items whose target line equals the previous non-blank line (both trimmed).</summary>
    public static CodeScore Baseline(IReadOnlyList<CodeItem> items) =>
        CodeScore.Of(items.Count(i => i.IsAnsweredBy(i.PreviousLine)), items.Count);
}
