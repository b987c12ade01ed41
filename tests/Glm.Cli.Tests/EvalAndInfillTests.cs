using System.Text.Json.Nodes;

namespace Glm.Cli.Tests;

public class EvalAndInfillTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    [Fact]
    public void Eval_perplexity_prints_one_json_object()
    {
        var result = GlmProcess.Run("eval", "perplexity", "--model", run.RunDir, "--data", run.Corpus, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonNode.Parse(result.Stdout.Trim())!;
        double perplexity = (double)json["perplexity"]!;
        Assert.InRange(perplexity, 1, 300);
        Assert.Equal(Math.Exp((double)json["loss"]!), perplexity, 6);
        Assert.True((long)json["tokens"]! > 1000);
        Assert.True((double)json["bits_per_byte"]! > 0);
    }

    [Fact]
    public void Eval_cloze_reports_accuracy_and_the_frequency_baseline()
    {
        string items = Path.Combine(run.Root, "cloze.jsonl");
        File.WriteAllLines(items, ["{\"text\": \"The cat sat on the mat. A dog looked at the\"}", "{\"text\": \"My sister sang about the green\"}"]);
        var result = GlmProcess.Run("eval", "cloze", "--model", run.RunDir, "--data", items, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonNode.Parse(result.Stdout.Trim())!;
        Assert.Equal(2, (int)json["items"]!);
        Assert.InRange((double)json["accuracy"]!, 0, 1);
        Assert.Equal("the", (string)json["baseline_word"]!);
    }

    [Fact]
    public void Eval_code_reports_next_line_and_fim_accuracy_beside_the_baseline()
    {
        // Every line repeats the one above, so repeating the previous line (the baseline) is always right.
        string data = Path.Combine(run.Root, "code.jsonl");
        File.WriteAllLines(data, [
            "{\"repo\": \"r\", \"path\": \"a.py\", \"lang\": \"python\", \"license\": \"mit\", \"text\": \"" + string.Concat(Enumerable.Repeat("the cat sat.\\n", 6)) + "\"}",
            "{\"path\": \"b.py\", \"text\": \"" + string.Concat(Enumerable.Repeat("a dog ran past.\\n", 6)) + "\"}",
        ]);
        var result = GlmProcess.Run("eval", "code", "--model", run.RunDir, "--data", data, "--count", "4", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonNode.Parse(result.Stdout.Trim())!;
        Assert.Equal("infill", (string)json["objective"]!);
        Assert.Equal(data, (string)json["data"]![0]!);
        Assert.Equal(4, (int)json["items"]!);
        Assert.InRange((double)json["next_line"]!["accuracy"]!, 0, 1);
        Assert.InRange((int)json["fim"]!["correct"]!, 0, 4);
        Assert.Equal("repeat the previous non-blank line", (string)json["baseline"]!["rule"]!);
        Assert.Equal(1.0, (double)json["baseline"]!["accuracy"]!);
    }

    [Fact]
    public void Eval_code_prints_a_table_without_json()
    {
        string data = Path.Combine(run.Root, "code.py");
        File.WriteAllText(data, "def f(a):\n    return a + 1\n\ndef g(b):\n    return b * 2\n");
        var result = GlmProcess.Run("eval", "code", "--model", run.RunDir, "--data", data, "--task", "next-line", "--count", "2");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("items      2 (seed 1234)", result.Stdout);
        Assert.Contains("next line  ", result.Stdout);
        Assert.Contains("fim        -", result.Stdout);
    }

    [Fact]
    public void Eval_code_names_a_missing_data_file()
    {
        string missing = Path.Combine(run.Root, "no-such-code.jsonl");
        var result = GlmProcess.Run("eval", "code", "--model", run.RunDir, "--data", missing);
        Assert.Equal(1, result.ExitCode);
        string stderr = result.Stderr.Trim();
        Assert.Equal($"error: data file {missing} does not exist", stderr);
    }

    [Fact]
    public void Infill_replaces_every_blank_with_generated_text()
    {
        var result = GlmProcess.Run("infill", "--model", run.RunDir, "--text", "The cat [MASK] the mat. A dog looked at [MASK].");
        Assert.True(result.ExitCode == 0, result.Stderr);
        string output = result.Stdout.Trim();
        Assert.DoesNotContain("[MASK]", output);
        Assert.StartsWith("The cat ", output);
        Assert.Contains(" the mat. A dog looked at ", output);
    }

    [Fact]
    public void Infill_without_a_blank_is_a_clear_error()
    {
        var result = GlmProcess.Run("infill", "--model", run.RunDir, "--text", "no blank here");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("has no blank", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void A_corrupt_checkpoint_is_named_in_the_error()
    {
        string copy = Path.Combine(run.Root, "corrupt");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(run.RunDir)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        string weights = Path.Combine(copy, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        var result = GlmProcess.Run("eval", "perplexity", "--model", copy, "--data", run.Corpus);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("model.safetensors", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
