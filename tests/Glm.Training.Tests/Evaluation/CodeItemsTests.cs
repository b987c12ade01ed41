using Glm.Tokenizers;
using Glm.Training.Evaluation;

namespace Glm.Training.Tests.Evaluation;

public sealed class CodeItemsTests
{
    /// <summary>Ten small Python files of 12 lines: a def line, then statements of 9..13 characters and one short line.</summary>
    private static readonly IReadOnlyList<CodeDocument> Files = [.. Enumerable.Range(0, 10).Select(f => new CodeDocument($"f{f}.py",
        $"def function_{f}(a, b):\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"    x{i} = a + {f}{i}\n")) + "    pass\n"))];

    private static ByteLevelBpeTokenizer Tokenizer() =>
        BpeTrainer.Train(Files.Select(f => f.Text), new BpeTrainerOptions { VocabSize = 300 });

    [Fact]
    public void Items_are_the_same_for_a_seed_and_differ_between_seeds()
    {
        var first = CodeItems.Make(Files, 20, seed: 1234);
        Assert.Equal(first, CodeItems.Make(Files, 20, seed: 1234));
        Assert.NotEqual(first, CodeItems.Make(Files, 20, seed: 99));
    }

    [Fact]
    public void Items_spread_over_all_documents_before_taking_a_second_line_from_one()
    {
        var items = CodeItems.Make(Files, 15, seed: 5);

        Assert.Equal(15, items.Count);
        Assert.Equal(10, items.Select(i => i.Source).Distinct().Count());
        Assert.All(items.GroupBy(i => i.Source), g => Assert.InRange(g.Count(), 1, 2));
    }

    [Fact]
    public void Targets_are_long_enough_lines_after_the_first_and_split_their_document_exactly()
    {
        var items = CodeItems.Make(Files, 1000, seed: 3);

        Assert.Equal(100, items.Count);   // the 10 statement lines of each file; never the def line, "pass" or the empty end
        Assert.Equal(items.Count, items.Distinct().Count());
        foreach (var item in items)
        {
            Assert.True(item.LineNumber > 1);
            Assert.True(item.Answer.Length >= CodeItems.MinTargetChars);
            Assert.Equal(Files.Single(f => f.Source == item.Source).Text, item.Prefix + item.Target + item.Suffix);
            Assert.EndsWith("\n", item.Prefix);
            Assert.StartsWith("\n", item.Suffix);
            Assert.DoesNotContain('\n', item.Target);
            Assert.Equal(item.LineNumber - 1, item.Prefix.Count(c => c == '\n'));
        }
    }

    [Fact]
    public void A_last_line_without_newline_has_an_empty_suffix()
    {
        var item = Assert.Single(CodeItems.Make([new CodeDocument("a.py", "import os\nprint(os.name)")], 5, seed: 1));

        Assert.Equal("print(os.name)", item.Target);
        Assert.Equal("", item.Suffix);
        Assert.Equal(2, item.LineNumber);
    }

    [Fact]
    public void The_prefix_window_ends_right_before_the_target_line()
    {
        var tokenizer = Tokenizer();
        foreach (var item in CodeItems.Make(Files, 10, seed: 7))
        {
            var window = CodeWindows.Prefix(tokenizer, item, 12);
            Assert.Equal(Math.Min(12, tokenizer.Encode(item.Prefix).Length), window.Length);
            Assert.EndsWith(tokenizer.Decode(window), item.Prefix);
            Assert.Equal(tokenizer.Encode(item.Prefix), CodeWindows.Prefix(tokenizer, item, 10_000));
        }
    }

    [Fact]
    public void Fim_part_a_is_the_prefix_window_one_mask_and_the_suffix_window()
    {
        var tokenizer = Tokenizer();
        int mask = tokenizer.Special.Mask;
        foreach (var item in CodeItems.Make(Files, 10, seed: 7))
        {
            var partA = CodeWindows.FillInTheMiddle(tokenizer, item, 30);
            Assert.Single(partA, id => id == mask);
            int blank = Array.IndexOf(partA, mask);
            string before = tokenizer.Decode(partA[..blank]), after = tokenizer.Decode(partA[(blank + 1)..]);
            Assert.EndsWith(before, item.Prefix);
            Assert.StartsWith(after, item.Suffix);
            Assert.StartsWith("\n", after);
            int suffix = partA.Length - blank - 1;
            Assert.InRange(suffix, 1, 10);                                                    // at most a third of the budget
            Assert.Equal(Math.Min(30 - suffix, tokenizer.Encode(item.Prefix).Length), blank);  // the prefix takes the rest
        }
    }

    [Fact]
    public void The_baseline_repeats_the_previous_non_blank_line()
    {
        CodeItem[] items =
        [
            new("a.py", 3, "x = 1\n    total += 1\n\n", "  total += 1", "\n"),   // repeated, indentation aside: a hit
            new("a.py", 2, "x = 1\n", "total += 1", "\n"),
        ];

        Assert.Equal("total += 1", items[0].PreviousLine);
        var baseline = CodeEvaluator.Baseline(items);
        Assert.Equal(1, baseline.Correct);
        Assert.Equal(0.5, baseline.Accuracy);
    }

    [Fact]
    public void A_generated_line_is_compared_by_its_first_line_trimmed()
    {
        var item = new CodeItem("a.py", 2, "def f():\n", "    return 42", "\n");

        Assert.True(item.IsAnsweredBy("  return 42  \n    print()"));
        Assert.False(item.IsAnsweredBy("\n    return 42"));
        Assert.False(item.IsAnsweredBy("return 4"));
    }
}
