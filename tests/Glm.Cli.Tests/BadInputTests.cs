namespace Glm.Cli.Tests;

/// <summary>Bad input ends with one line naming the problem and a non-zero exit code, never a stack trace.</summary>
public class BadInputTests
{
    [Fact]
    public void Help_lists_the_commands()
    {
        var result = GlmProcess.Run("--help");
        Assert.Equal(0, result.ExitCode);
        foreach (string command in new[] { "tokenizer", "train", "eval", "infill" })
            Assert.Contains(command, result.Stdout);
    }

    [Fact]
    public void A_missing_data_file_is_named()
    {
        string missing = Path.Combine(Path.GetTempPath(), "glm-no-such-file.txt");
        var result = GlmProcess.Run("train", "--data", missing, "--out", Path.Combine(Path.GetTempPath(), "glm-never"));
        AssertOneLineError(result, missing);
    }

    [Fact]
    public void A_model_that_does_not_fit_is_explained()
    {
        string dir = Directory.CreateTempSubdirectory("glm-cli-").FullName;
        try
        {
            string corpus = TestCorpus.Write(dir, documents: 5);
            var result = GlmProcess.Run("train", "--data", corpus, "--out", Path.Combine(dir, "run"), "--hidden", "30", "--heads", "4", "--vocab-size", "280");
            AssertOneLineError(result, "hidden_size 30 is not divisible by num_attention_heads 4");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Resuming_a_folder_without_a_checkpoint_is_explained()
    {
        string dir = Directory.CreateTempSubdirectory("glm-cli-").FullName;
        var result = GlmProcess.Run("train", "--out", dir, "--resume");
        Directory.Delete(dir);
        AssertOneLineError(result, "has no checkpoint");
    }

    [Fact]
    public void A_missing_model_folder_is_named()
    {
        var result = GlmProcess.Run("eval", "perplexity", "--model", "/nonexistent/model", "--data", "x.txt");
        AssertOneLineError(result, "/nonexistent/model");
    }

    private static void AssertOneLineError(GlmProcess.Result result, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        string stderr = result.Stderr.Trim();
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Split('\n'));
    }
}
