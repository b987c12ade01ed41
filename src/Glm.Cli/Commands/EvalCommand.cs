using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Glm.Core;
using Glm.Training.Data;
using Glm.Training.Evaluation;
using Glm.Training.Training;

namespace Glm.Cli.Commands;

/// <summary><c>glm eval perplexity</c>, <c>glm eval cloze</c>, <c>glm eval make-cloze</c> and <c>glm eval code</c>.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder (config.json, model.safetensors, tokenizer.json)", Required = true };
        var data = new Option<FileInfo>("--data") { Description = "Text file (.txt, .txt.gz, .jsonl, .jsonl.gz)", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout" };
        var maxTokens = new Option<long>("--max-tokens") { Description = "Evaluate at most this many tokens, in windows spread evenly through the file (0 = all)", DefaultValueFactory = _ => 0 };
        var seqLen = new Option<int?>("--seq-len") { Description = "Window length; default the model's maximum" };

        var perplexity = new Command("perplexity", "Held-out loss, perplexity and bits per byte over a text file") { model, data, json, maxTokens, seqLen };
        perplexity.SetAction(parse => CliRunner.Run(() =>
        {
            using var trained = TrainedModel.Load(parse.GetValue(model)!.FullName);
            var file = RequireFile(parse.GetValue(data)!);
            int window = parse.GetValue(seqLen) ?? trained.MaxSequenceLength;
            if (window < 2 || window > trained.MaxSequenceLength)
                throw new GlmException($"--seq-len must be in 2..{trained.MaxSequenceLength}, got {window}");
            long limit = parse.GetValue(maxTokens);
            var chunks = EvalChunking.Spread(CorpusReader.ReadSegments([file.FullName]), trained.Tokenizer, window - 1, limit > 0 ? (int)Math.Ceiling(limit / (double)(window - 1)) : int.MaxValue);
            if (chunks.Count == 0) throw new GlmException($"{file.FullName} holds no text");
            var special = trained.Tokenizer.Special;
            var ids = new EvalTokenIds(special.GMask, special.Sop, special.EndOfText);
            var result = Evaluator.Evaluate(trained.Model, trained.Objective, chunks, ids, window, null, step: 0);
            long bytes = chunks.Sum(c => (long)trained.Tokenizer.DecodeBytes(c).Length);
            double bitsPerByte = result.Loss * result.Tokens / bytes / Math.Log(2);
            Print(parse.GetValue(json), new JsonObject
            {
                ["model"] = parse.GetValue(model)!.FullName,
                ["data"] = file.FullName,
                ["objective"] = trained.Objective == TrainingObjective.Infill ? "infill" : "lm",
                ["tokens"] = result.Tokens,
                ["bytes"] = bytes,
                ["loss"] = result.Loss,
                ["perplexity"] = result.Perplexity,
                ["bits_per_byte"] = bitsPerByte,
            });
            return 0;
        }));

        var cloze = new Command("cloze", "Single-word blank accuracy over JSONL lines {\"text\": \"... [MASK] ...\", \"answer\": \"word\"} or {\"text\": ...} (last word is the answer)") { model, data, json };
        cloze.SetAction(parse => CliRunner.Run(() =>
        {
            using var trained = TrainedModel.Load(parse.GetValue(model)!.FullName);
            var file = RequireFile(parse.GetValue(data)!);
            var items = File.ReadLines(file.FullName).Select((line, i) => (line, i))
                .Where(x => !string.IsNullOrWhiteSpace(x.line))
                .Select(x => ClozeItem.Parse(x.line, file.FullName, x.i + 1)).OfType<ClozeItem>().ToList();
            if (items.Count == 0) throw new GlmException($"{file.FullName} has no cloze items (one JSON object per line with a \"text\")");
            var result = ClozeEvaluator.Evaluate(trained, items);
            Print(parse.GetValue(json), new JsonObject
            {
                ["model"] = parse.GetValue(model)!.FullName,
                ["data"] = file.FullName,
                ["objective"] = trained.Objective == TrainingObjective.Infill ? "infill" : "lm",
                ["items"] = result.Items,
                ["correct"] = result.Correct,
                ["accuracy"] = result.Accuracy,
                ["baseline_word"] = result.BaselineWord,
                ["baseline_accuracy"] = result.BaselineAccuracy,
            });
            return 0;
        }));

        var input = new Option<FileInfo[]>("--data") { Description = "Corpus files; items come from their held-out segments (as glm train holds them out)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<FileInfo>("--out") { Description = "JSONL file to write", Required = true };
        var count = new Option<int>("--count") { Description = "Number of items", DefaultValueFactory = _ => 500 };
        var blank = new Option<string>("--blank") { Description = "last (the last word of a line, LAMBADA style) or inside (a word within a line)", DefaultValueFactory = _ => "inside" };
        blank.AcceptOnlyFromAmong("last", "inside");
        var makeCloze = new Command("make-cloze", "Write single-word blank items (JSONL) from the held-out part of a corpus") { input, output, count, blank };
        makeCloze.SetAction(parse => CliRunner.Run(() =>
        {
            var files = parse.GetValue(input)!.Select(RequireFile).Select(f => f.FullName).ToList();
            var place = parse.GetValue(blank) == "last" ? ClozeBlankPlace.LastWord : ClozeBlankPlace.Inside;
            var items = ClozeItems.FromSegments(HeldOutSplit.HeldOut(CorpusReader.ReadSegments(files)), parse.GetValue(count), place)
                .Select(item => new JsonObject { ["text"] = item.Text, ["answer"] = item.Answer }.ToJsonString()).ToList();
            if (items.Count == 0) throw new GlmException("the held-out text has no line long enough for a cloze item");
            string path = parse.GetValue(output)!.FullName;
            Glm.Checkpoints.AtomicFile.WriteAllText(path, string.Join("\n", items) + "\n");
            Console.WriteLine($"wrote {items.Count} items to {path}");
            return 0;
        }));

        return new Command("eval", "Evaluate a trained model") { perplexity, cloze, makeCloze, EvalCodeCommand.Create() };
    }

    internal static FileInfo RequireFile(FileInfo file) =>
        file.Exists ? file : throw new GlmException($"data file {file.FullName} does not exist");

    private static void Print(bool json, JsonObject result)
    {
        if (json)
        {
            Console.WriteLine(result.ToJsonString());
            return;
        }
        foreach (var (key, value) in result)
            Console.WriteLine($"{key,-18} {value?.ToJsonString(new JsonSerializerOptions()).Trim('"')}");
    }
}
