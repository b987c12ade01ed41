using System.CommandLine;
using System.Diagnostics;
using Glm.Core;
using Glm.Tokenizers;
using Glm.Training.Training;
using Spectre.Console;

namespace Glm.Cli.Commands;

/// <summary><c>glm tokenizer train</c>: learn a byte-level BPE vocabulary with the GLM special tokens.</summary>
internal static class TokenizerCommand
{
    public static Command Create()
    {
        var input = new Option<FileInfo[]>("--input")
        {
            Description = "Text files (.txt, .txt.gz, .jsonl, .jsonl.gz; documents separated by <|endoftext|> lines)",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var vocab = new Option<int>("--vocab-size") { Description = "Total vocabulary size, including 256 bytes and 10 special tokens", DefaultValueFactory = _ => 8192 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write tokenizer.json into", Required = true };
        var minFrequency = new Option<int>("--min-frequency") { Description = "Stop merging pairs seen fewer times than this", DefaultValueFactory = _ => 2 };

        var train = new Command("train", "Train a byte-level BPE tokenizer and save it as a Hugging Face tokenizer.json")
        {
            input, vocab, output, minFrequency,
        };
        train.SetAction(parse => CliRunner.Run(() =>
        {
            var files = parse.GetValue(input)!;
            var options = new BpeTrainerOptions { VocabSize = parse.GetValue(vocab), MinFrequency = parse.GetValue(minFrequency) };
            foreach (var f in files)
                if (!f.Exists) throw new GlmException($"input file {f.FullName} does not exist");
            var documents = CorpusText.Documents(files.Select(f => f.FullName).ToList());
            var clock = Stopwatch.StartNew();
            ByteLevelBpeTokenizer tokenizer = null!;
            CliRunner.Status.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var bar = ctx.AddTask("counting", maxValue: 1);
                    var progress = new SynchronousProgress<BpeTrainingProgress>(p =>
                    {
                        bar.Description = p.Phase.ToString().ToLowerInvariant();
                        bar.MaxValue = Math.Max(1, p.Total ?? p.Done + 1);
                        bar.Value = p.Done;
                    });
                    tokenizer = BpeTrainer.Train(documents, options, progress);
                    bar.Value = bar.MaxValue;
                });
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir.FullName);
            string path = Path.Combine(dir.FullName, "tokenizer.json");
            tokenizer.Save(path);
            Console.WriteLine($"wrote {path}: {tokenizer.VocabSize} tokens in {clock.Elapsed.TotalSeconds:0.0} s");
            return 0;
        }));

        return new Command("tokenizer", "Tokenizer tools") { train };
    }
}

/// <summary>An IProgress that reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
