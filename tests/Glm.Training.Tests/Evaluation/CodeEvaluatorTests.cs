using Glm.Tokenizers;
using Glm.Training.Evaluation;
using Glm.Training.Models;
using Glm.Training.Tests.Models;
using Glm.Training.Training;

namespace Glm.Training.Tests.Evaluation;

/// <summary>
/// Scores code items with an untrained tiny ChatGLM (random weights, so accuracy is not checked, only that every task
/// runs within the model's sequence length and reports what it should).
/// </summary>
public sealed class CodeEvaluatorTests
{
    private static readonly IReadOnlyList<CodeDocument> Files = [.. Enumerable.Range(0, 4).Select(f => new CodeDocument($"f{f}.py",
        $"def function_{f}(a, b):\n" + string.Concat(Enumerable.Range(0, 30).Select(i => $"    x{i} = a + {f}{i}\n"))))];

    private static TrainedModel Untrained(TrainingObjective objective)
    {
        var tokenizer = BpeTrainer.Train(Files.Select(f => f.Text), new BpeTrainerOptions { VocabSize = 300 });
        var config = TinyModels.ChatGlm() with { PaddedVocabSize = (tokenizer.VocabSize + 63) / 64 * 64, SeqLength = 32 };
        return new TrainedModel { Model = GlmModels.Create(config, seed: 1), Config = config, Tokenizer = tokenizer, Objective = objective };
    }

    [Fact]
    public void An_infilling_model_is_scored_on_both_tasks()
    {
        using var model = Untrained(TrainingObjective.Infill);
        var items = CodeItems.Make(Files, 6, seed: 1234);
        int reported = 0;

        var result = CodeEvaluator.Evaluate(model, items, CodeTasks.Both, new Progress(n => reported = n));

        Assert.Equal(6, result.Items);
        Assert.InRange(result.NextLine!.Accuracy, 0, 1);
        Assert.InRange(result.FillInTheMiddle!.Accuracy, 0, 1);
        Assert.Equal(CodeEvaluator.Baseline(items), result.Baseline);
        Assert.Null(result.Note);
        Assert.Equal(6, reported);
        Assert.Equal(result, CodeEvaluator.Evaluate(model, items, CodeTasks.Both));   // greedy: the same every time
    }

    [Fact]
    public void A_left_to_right_model_gets_next_line_only_with_a_note()
    {
        using var model = Untrained(TrainingObjective.LeftToRight);
        var items = CodeItems.Make(Files, 3, seed: 1234);

        var result = CodeEvaluator.Evaluate(model, items, CodeTasks.Both);

        Assert.NotNull(result.NextLine);
        Assert.Null(result.FillInTheMiddle);
        Assert.Equal(CodeEvaluator.LeftToRightCannotFill, result.Note);
    }

    [Fact]
    public void Only_the_asked_task_is_scored()
    {
        using var model = Untrained(TrainingObjective.Infill);
        var items = CodeItems.Make(Files, 2, seed: 1234);

        var fim = CodeEvaluator.Evaluate(model, items, CodeTasks.FillInTheMiddle);

        Assert.Null(fim.NextLine);
        Assert.NotNull(fim.FillInTheMiddle);
        Assert.Null(fim.Note);
    }

    private sealed class Progress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
