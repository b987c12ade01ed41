using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Glm.Core;
using Glm.Core.Chat;
using YamlDotNet.RepresentationModel;

namespace Glm.Training.Data;

/// <summary>
/// Converts common dialogue datasets to conversations for <see cref="ChatCorpus"/> (<c>glm data chat</c>):
/// <list type="bullet">
/// <item><c>messages</c>: already <c>{"messages": [...]}</c> (checked and copied);</item>
/// <item><c>sharegpt</c>: <c>{"conversations": [{"from": "system"|"human"|"gpt", "value"}]}</c> (FastChat, LLaMA-Factory);</item>
/// <item><c>alpaca</c>: <c>{"instruction", "input", "output"}</c>, or <c>{"instruction", "instances": [{"input", "output"}]}</c>
/// (self-instruct seeds); input, when present, follows the instruction on a new line; <c>"response"</c> may stand for
/// <c>"output"</c> (GPTeacher);</item>
/// <item><c>qa</c>: <c>{"question", "answer"}</c> (GSM8K);</item>
/// <item><c>sgd</c>: Schema-Guided Dialogue files (<c>[{"turns": [{"speaker": "USER"|"SYSTEM", "utterance"}]}]</c>),
/// the spoken turns only;</item>
/// <item><c>chatterbot</c>: ChatterBot corpus YAML (<c>conversations:</c> lists of alternating user/assistant lines).</item>
/// </list>
/// JSON inputs may be one JSON array (.json) or JSON lines (.jsonl), optionally gzipped. Problems are
/// <see cref="GlmException"/>s naming the file.
/// </summary>
public static class ChatFormats
{
    public static readonly string[] Names = ["messages", "sharegpt", "alpaca", "qa", "sgd", "chatterbot"];

    public static IEnumerable<IReadOnlyList<ChatTurn>> Read(string format, string file)
    {
        if (!File.Exists(file)) throw new GlmException($"input file not found: {file}");
        return format switch
        {
            "chatterbot" => ChatterBot(file),
            "messages" => Records(file).Select(r => ChatCorpus.Parse(r.Json.ToJsonString(), r.Where)),
            "sharegpt" => Records(file).Select(ShareGpt),
            "alpaca" => Records(file).SelectMany(Alpaca),
            "qa" => Records(file).Select(r => Pair(Field(r, "question"), Field(r, "answer"))),
            "sgd" => Records(file).Select(Sgd),
            _ => throw new GlmException($"unknown chat data format \"{format}\" (use {string.Join(", ", Names)})"),
        };
    }

    /// <summary>One <c>{"messages": [...]}</c> JSON line.</summary>
    public static string ToJsonLine(IReadOnlyList<ChatTurn> turns)
    {
        var messages = new JsonArray();
        foreach (var turn in turns)
            messages.Add(new JsonObject { ["role"] = turn.Role.ToString().ToLowerInvariant(), ["content"] = turn.Content });
        return new JsonObject { ["messages"] = messages }.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private sealed record Record(JsonObject Json, string Where);

    private static IEnumerable<Record> Records(string file)
    {
        using var reader = new StreamReader(Open(file), Encoding.UTF8);
        bool jsonLines = file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase);
        if (jsonLines)
        {
            int lineNumber = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                yield return new Record(AsObject(Parse(line, $"{file} line {lineNumber}"), $"{file} line {lineNumber}"), $"{file} line {lineNumber}");
            }
            yield break;
        }
        if (Parse(reader.ReadToEnd(), file) is not JsonArray array) throw new GlmException($"{file}: expected a JSON array of records (or use .jsonl)");
        for (int i = 0; i < array.Count; i++)
            yield return new Record(AsObject(array[i], $"{file} record {i}"), $"{file} record {i}");
    }

    private static IReadOnlyList<ChatTurn> ShareGpt(Record r)
    {
        if (r.Json["conversations"] is not JsonArray turns) throw new GlmException($"{r.Where}: no \"conversations\" array");
        return turns.Select(t =>
        {
            var turn = AsObject(t, r.Where);
            string from = Field(new Record(turn, r.Where), "from");
            var role = from switch
            {
                "system" => ChatRole.System,
                "human" or "user" => ChatRole.User,
                "gpt" or "assistant" => ChatRole.Assistant,
                "observation" or "function_response" or "tool" => ChatRole.Observation,
                _ => throw new GlmException($"{r.Where}: unknown speaker \"{from}\""),
            };
            return new ChatTurn(role, Field(new Record(turn, r.Where), "value"));
        }).ToList();
    }

    private static IEnumerable<IReadOnlyList<ChatTurn>> Alpaca(Record r)
    {
        string instruction = Field(r, "instruction");
        if (r.Json["instances"] is JsonArray instances)
        {
            foreach (var instance in instances)
            {
                var item = new Record(AsObject(instance, r.Where), r.Where);
                yield return Pair(Join(instruction, Optional(item, "input")), Output(item));
            }
            yield break;
        }
        yield return Pair(Join(instruction, Optional(r, "input")), Output(r));
    }

    private static string Output(Record r) => Optional(r, "output") ?? Optional(r, "response")
        ?? throw new GlmException($"{r.Where}: no string \"output\" (or \"response\")");

    private static IReadOnlyList<ChatTurn> Sgd(Record r)
    {
        if (r.Json["turns"] is not JsonArray turns) throw new GlmException($"{r.Where}: no \"turns\" array");
        return turns.Select(t =>
        {
            var turn = new Record(AsObject(t, r.Where), r.Where);
            var role = Field(turn, "speaker") == "USER" ? ChatRole.User : ChatRole.Assistant;
            return new ChatTurn(role, Field(turn, "utterance"));
        }).ToList();
    }

    private static IEnumerable<IReadOnlyList<ChatTurn>> ChatterBot(string file)
    {
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(Open(file), Encoding.UTF8);
            yaml.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new GlmException($"{file}: not valid YAML: {e.Message}", e);
        }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("conversations"), out var node) || node is not YamlSequenceNode conversations)
            throw new GlmException($"{file}: expected a \"conversations:\" list");
        foreach (var conversation in conversations)
        {
            if (conversation is not YamlSequenceNode lines)
            {
                yield return []; // a stray line where a conversation belongs (upstream has some): no reply, so dropped
                continue;
            }
            yield return lines.Select((line, i) => new ChatTurn(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant,
                (line as YamlScalarNode)?.Value?.Trim() ?? throw new GlmException($"{file}: conversation lines must be text"))).ToList();
        }
    }

    private static IReadOnlyList<ChatTurn> Pair(string user, string assistant) =>
        [new ChatTurn(ChatRole.User, user), new ChatTurn(ChatRole.Assistant, assistant)];

    private static string Join(string instruction, string? input) =>
        string.IsNullOrWhiteSpace(input) ? instruction : $"{instruction}\n{input}";

    private static string Field(Record r, string name) =>
        Optional(r, name) ?? throw new GlmException($"{r.Where}: no string \"{name}\"");

    private static string? Optional(Record r, string name) =>
        r.Json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static JsonNode? Parse(string json, string where)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new GlmException($"{where}: not valid JSON: {e.Message}", e);
        }
    }

    private static JsonObject AsObject(JsonNode? node, string where) =>
        node as JsonObject ?? throw new GlmException($"{where}: expected a JSON object");

    private static Stream Open(string file)
    {
        Stream stream = File.OpenRead(file);
        return file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(stream, CompressionMode.Decompress) : stream;
    }
}
