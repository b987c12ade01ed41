namespace Glm.Cli.Tests;

/// <summary>
/// Trains one tiny GLM (chatglm family, blank infilling) through the CLI, shared by the tests that use a trained model.
/// </summary>
public sealed class TrainedRunFixture : IDisposable
{
    public static readonly string[] TinyModel =
        ["--layers", "1", "--hidden", "32", "--heads", "2", "--seq-len", "32", "--batch", "4", "--lr", "1e-2", "--warmup", "5"];

    public string Root { get; } = Directory.CreateTempSubdirectory("glm-cli-").FullName;
    public string Corpus { get; }
    public string Tokenizer { get; }
    public string RunDir { get; }
    public GlmProcess.Result TrainResult { get; }

    public TrainedRunFixture()
    {
        Corpus = TestCorpus.Write(Root);
        var tok = GlmProcess.Run("tokenizer", "train", "--input", Corpus, "--vocab-size", "300", "--out", Path.Combine(Root, "tok"));
        if (tok.ExitCode != 0) throw new InvalidOperationException($"tokenizer train failed: {tok.Stderr}");
        Tokenizer = Path.Combine(Root, "tok", "tokenizer.json");
        RunDir = Path.Combine(Root, "run");
        TrainResult = GlmProcess.Run(["train", "--data", Corpus, "--tokenizer", Tokenizer, "--out", RunDir, "--family", "chatglm",
            "--steps", "60", "--eval-every", "30", "--save-every", "30", .. TinyModel]);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
