using System.IO.Compression;
using System.Text.Json;
using Glm.Core;
using Glm.Core.Chat;

namespace Glm.Training.Data;

/// <summary>
/// Reads conversations for supervised fine-tuning in the chat-completions fine-tuning format that Zhipu and OpenAI
/// use: one JSON object per line, <c>{"messages": [{"role": "system"|"user"|"assistant"|"observation"|"tool",
/// "content": "..."}, ...]}</c>, in .jsonl or .jsonl.gz files. Blank lines are skipped. Every conversation needs
/// at least one non-empty assistant message (nothing else would be learned from it). Problems are
/// <see cref="GlmException"/>s naming the file and line.
/// </summary>
public static class ChatCorpus
{
    public static IReadOnlyList<IReadOnlyList<ChatTurn>> Read(IReadOnlyList<string> files)
    {
        var conversations = new List<IReadOnlyList<ChatTurn>>();
        foreach (var file in files)
        {
            if (!File.Exists(file)) throw new GlmException($"chat data file not found: {file}");
            if (!file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) && !file.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase))
                throw new GlmException($"{file}: chat data must be .jsonl or .jsonl.gz with one {{\"messages\": [...]}} object per line");
            using var reader = Open(file);
            int lineNumber = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                conversations.Add(Parse(line, $"{file} line {lineNumber}"));
            }
        }
        return conversations;
    }

    /// <summary>Parses one <c>{"messages": [...]}</c> object; <paramref name="where"/> names it in errors.</summary>
    public static IReadOnlyList<ChatTurn> Parse(string json, string where)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new GlmException($"{where}: not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
                throw new GlmException($"{where}: expected an object with a \"messages\" array");
            var turns = new List<ChatTurn>();
            foreach (var message in messages.EnumerateArray())
            {
                string role = Text(message, "role", where);
                string content = Text(message, "content", where);
                turns.Add(new ChatTurn(Role(role, where), content));
            }
            if (!turns.Any(t => t.Role == ChatRole.Assistant && t.Content.Length > 0))
                throw new GlmException($"{where}: the conversation has no assistant message to learn from");
            return turns;
        }
    }

    private static string Text(JsonElement message, string field, string where)
    {
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String)
            throw new GlmException($"{where}: every message needs a string \"{field}\"");
        return value.GetString()!;
    }

    private static ChatRole Role(string role, string where) => role switch
    {
        "system" => ChatRole.System,
        "user" => ChatRole.User,
        "assistant" => ChatRole.Assistant,
        "observation" or "tool" => ChatRole.Observation,
        _ => throw new GlmException($"{where}: unknown role \"{role}\" (use system, user, assistant, observation or tool)"),
    };

    private static StreamReader Open(string file)
    {
        Stream stream = File.OpenRead(file);
        if (file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) stream = new GZipStream(stream, CompressionMode.Decompress);
        return new StreamReader(stream);
    }
}
