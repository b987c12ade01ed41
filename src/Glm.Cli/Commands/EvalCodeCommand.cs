using System.CommandLine;
using System.Text.Json.Nodes;
using Glm.Core;
using Glm.Training.Evaluation;
using Glm.Training.Training;
using Spectre.Console;

namespace Glm.Cli.Commands;

/// <summary>
/// <c>glm eval code</c>: exact-match next-line and fill-in-the-middle accuracy on held-out code, with the
/// repeat-the-previous-line baseline beside it.
/// </summary>
internal static class EvalCodeCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder (config.json, model.safetensors, tokenizer.json)", Required = true };
        var data = new Option<FileInfo[]>("--data")
        {
            Description = "Held-out code: JSONL files with one source file per line ({\"text\": ..., \"path\": ...}) or source files, each one document",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var task = new Option<string>("--task") { Description = "next-line, fim (fill in the middle) or both", DefaultValueFactory = _ => "both" };
        task.AcceptOnlyFromAmong("next-line", "fim", "both");
        var count = new Option<int>("--count") { Description = "Number of target lines", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "Seed for picking the target lines", DefaultValueFactory = _ => 1234 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout" };

        var command = new Command("code", "Exact-match next-line and fill-in-the-middle accuracy on held-out code") { model, data, task, count, seed, json };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            if (parse.GetValue(count) < 1) throw new GlmException($"--count must be at least 1, got {parse.GetValue(count)}");
            var files = parse.GetValue(data)!.Select(EvalCommand.RequireFile).Select(f => f.FullName).ToList();
            var items = CodeItems.Make(CodeDocuments.Read(files), parse.GetValue(count), parse.GetValue(seed));
            if (items.Count == 0)
                throw new GlmException($"{string.Join(", ", files)}: no target line (a line after the first with at least {CodeItems.MinTargetChars} characters)");
            using var trained = TrainedModel.Load(parse.GetValue(model)!.FullName);
            var tasks = parse.GetValue(task) switch { "next-line" => CodeTasks.NextLine, "fim" => CodeTasks.FillInTheMiddle, _ => CodeTasks.Both };
            var result = Evaluate(trained, items, tasks);
            string modelPath = parse.GetValue(model)!.FullName, objective = trained.Objective == TrainingObjective.Infill ? "infill" : "lm";
            if (!parse.GetValue(json))
            {
                PrintText(modelPath, files, objective, parse.GetValue(seed), result);
                return 0;
            }
            var output = new JsonObject
            {
                ["model"] = modelPath,
                ["data"] = new JsonArray([.. files.Select(f => JsonValue.Create(f))]),
                ["objective"] = objective,
                ["seed"] = parse.GetValue(seed),
                ["items"] = result.Items,
                ["next_line"] = Score(result.NextLine),
                ["fim"] = Score(result.FillInTheMiddle),
                ["baseline"] = new JsonObject
                {
                    ["rule"] = CodeEvaluator.BaselineRule,
                    ["correct"] = result.Baseline.Correct,
                    ["accuracy"] = result.Baseline.Accuracy,
                },
            };
            if (result.Note is { } note) output["note"] = note;
            Console.WriteLine(output.ToJsonString());
            return 0;
        }));
        return command;
    }

    private static CodeResult Evaluate(TrainedModel trained, IReadOnlyList<CodeItem> items, CodeTasks tasks)
    {
        CodeResult result = null!;
        CliRunner.Status.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask("code items", maxValue: items.Count);
                result = CodeEvaluator.Evaluate(trained, items, tasks, new SynchronousProgress<int>(done => bar.Value = done));
            });
        return result;
    }

    private static JsonObject? Score(CodeScore? score) =>
        score is null ? null : new JsonObject { ["correct"] = score.Correct, ["accuracy"] = score.Accuracy };

    private static void PrintText(string model, IReadOnlyList<string> files, string objective, int seed, CodeResult result)
    {
        string Line(CodeScore? s) => s is null ? "-" : $"{s.Correct}/{result.Items} = {s.Accuracy * 100:0.0}%";
        Console.WriteLine($"{"model",-10} {model}");
        Console.WriteLine($"{"data",-10} {string.Join(", ", files)}");
        Console.WriteLine($"{"objective",-10} {objective}");
        Console.WriteLine($"{"items",-10} {result.Items} (seed {seed})");
        Console.WriteLine($"{"next line",-10} {Line(result.NextLine)}");
        Console.WriteLine($"{"fim",-10} {Line(result.FillInTheMiddle)}{(result.Note is { } note ? $" ({note})" : "")}");
        Console.WriteLine($"{"baseline",-10} {Line(result.Baseline)} ({CodeEvaluator.BaselineRule})");
    }
}
