using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Glm.Core;
using Glm.Inference.Loading;
using Glm.Inference.Models;
using Glm.Kernels.Threading;

namespace Glm.Cli.Commands;

/// <summary><c>glm logits</c>: the engine's next-token logits after a list of token ids (no tokenizer needed).</summary>
internal static class LogitsCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model: a Hugging Face folder or a chatglm .gguf file", Required = true };
        var ids = new Option<string>("--ids") { Description = "Comma-separated token ids, e.g. 1,2,3", Required = true };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object {model, ids, vocab_size, logits} instead of the bare array" };

        var command = new Command("logits", "Print the logits at the last of the given token ids as a JSON array") { model, ids, threads, json };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            int[] tokens = ParseIds(parse.GetValue(ids)!);
            using var file = GlmModelFile.Open(parse.GetValue(model)!);
            using var pool = new WorkerPool(parse.GetValue(threads));
            var engine = new ChatGlm(file.Weights, pool, Math.Min(file.Config.SeqLength, tokens.Length), batchSize: 32);
            if (tokens.Length > engine.ContextLength)
                throw new GlmException($"{tokens.Length} ids exceed the model's context of {engine.ContextLength} tokens");
            float[] logits = engine.Prefill(tokens).ToArray();
            var array = new JsonArray([.. logits.Select(v => (JsonNode)JsonValue.Create(v))]);
            if (!parse.GetValue(json))
            {
                Console.WriteLine(array.ToJsonString());
                return 0;
            }
            Console.WriteLine(new JsonObject
            {
                ["model"] = file.Path,
                ["ids"] = new JsonArray([.. tokens.Select(id => (JsonNode)id)]),
                ["vocab_size"] = logits.Length,
                ["logits"] = array,
            }.ToJsonString());
            return 0;
        }));
        return command;
    }

    private static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new GlmException("--ids needs at least one token id, e.g. --ids 1,2,3");
        return [.. parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int id)
            ? id
            : throw new GlmException($"--ids: '{p}' is not a token id (a non-negative integer)"))];
    }
}
