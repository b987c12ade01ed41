using System.Text.Json;
using System.Text.RegularExpressions;
using Glm.Server.Api.OpenAi;
using Glm.Server.Serving;
using Microsoft.Extensions.AI;

namespace Glm.Server.Api;

/// <summary>
/// Converts the shared wire shapes to and from Microsoft.Extensions.AI's chat model. Both dialects use it; what
/// differs between them (defaults, ranges, finish reason names) stays in each dialect's endpoints.
/// </summary>
internal static partial class ChatMapping
{
    public static List<ChatMessage> ToMessages(List<WireMessage>? wire)
    {
        if (wire is null)
            throw ApiException.Missing("messages");
        var messages = new List<ChatMessage>(wire.Count);
        for (int i = 0; i < wire.Count; i++)
        {
            var m = wire[i];
            string at = $"messages[{i}]";
            messages.Add(m.Role switch
            {
                "system" => new ChatMessage(ChatRole.System, m.Content ?? ""),
                // A user turn without content is a client bug, not an empty prompt to bill.
                "user" => new ChatMessage(ChatRole.User, m.Content ?? throw ApiException.Missing(at + ".content")),
                "assistant" => Assistant(m, at),
                "tool" => new ChatMessage(ChatRole.Tool,
                    [new FunctionResultContent(m.ToolCallId ?? throw ApiException.Missing(at + ".tool_call_id"), m.Content)]),
                null => throw ApiException.Missing(at + ".role"),
                var role => throw ApiException.Invalid(at + ".role", $"\"{role}\" is not system, user, assistant or tool"),
            });
        }
        return messages;
    }

    private static ChatMessage Assistant(WireMessage m, string at)
    {
        var contents = new List<AIContent>();
        if (!string.IsNullOrEmpty(m.Content))
            contents.Add(new TextContent(m.Content));
        foreach (var (call, j) in (m.ToolCalls ?? []).Select((c, j) => (c, j)))
        {
            string name = call.Function?.Name ?? throw ApiException.Missing($"{at}.tool_calls[{j}].function.name");
            contents.Add(new FunctionCallContent(call.Id ?? NewCallId(), name, ParseArguments(call.Function.Arguments, $"{at}.tool_calls[{j}].function.arguments")));
        }
        return new ChatMessage(ChatRole.Assistant, contents);
    }

    private static Dictionary<string, object?>? ParseArguments(string? json, string at)
    {
        if (string.IsNullOrWhiteSpace(json))
            return null;
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, object?>>(json);
        }
        catch (JsonException)
        {
            throw ApiException.Invalid(at, "not a JSON object");
        }
    }

    /// <summary>Adds function tools and the tool mode; <c>tool_choice</c> is auto, none, required or a named function.</summary>
    public static void ApplyTools(ChatOptions options, List<WireTool>? tools, JsonElement? toolChoice)
    {
        foreach (var (tool, i) in (tools ?? []).Select((t, i) => (t, i)))
        {
            if (tool.Type != "function")
                throw ApiException.Invalid($"tools[{i}].type", $"\"{tool.Type}\" tools are not available on this server; only function tools are");
            string name = tool.Function?.Name ?? throw ApiException.Missing($"tools[{i}].function.name");
            if (!FunctionName().IsMatch(name))
                throw ApiException.Invalid($"tools[{i}].function.name", "1-64 characters of A-Z, a-z, 0-9, '_' or '-'");
            var schema = tool.Function.Parameters ?? JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement;
            (options.Tools ??= []).Add(AIFunctionFactory.CreateDeclaration(name, tool.Function.Description, schema));
        }
        if (toolChoice is not { } choice || choice.ValueKind == JsonValueKind.Null)
            return;
        options.ToolMode = choice.ValueKind switch
        {
            JsonValueKind.String => choice.GetString() switch
            {
                "auto" => ChatToolMode.Auto,
                "none" => ChatToolMode.None,
                "required" => ChatToolMode.RequireAny,
                var other => throw ApiException.Invalid("tool_choice", $"\"{other}\" is not auto, none or required"),
            },
            JsonValueKind.Object when choice.TryGetProperty("function", out var f) && f.TryGetProperty("name", out var n) && n.GetString() is { } named
                => ChatToolMode.RequireSpecific(named),
            _ => throw ApiException.Invalid("tool_choice", "expected a string or {\"type\":\"function\",\"function\":{\"name\":...}}"),
        };
    }

    public static ChatResponseFormat? ToResponseFormat(WireResponseFormat? format) => format?.Type switch
    {
        null or "text" => null,
        "json_object" => ChatResponseFormat.Json,
        "json_schema" => ChatResponseFormat.ForJsonSchema(
            format.JsonSchema is { } s && s.TryGetProperty("schema", out var schema) ? schema : throw ApiException.Missing("response_format.json_schema.schema")),
        var other => throw ApiException.Invalid("response_format.type", $"\"{other}\" is not text, json_object or json_schema"),
    };

    /// <summary>Stop sequences; at most <paramref name="max"/>, none empty.</summary>
    public static List<string>? ToStops(List<string>? stop, int max)
    {
        if (stop is null || stop.Count == 0)
            return null;
        if (stop.Count > max)
            throw ApiException.Invalid("stop", $"at most {max} stop sequences (got {stop.Count})");
        if (stop.Any(string.IsNullOrEmpty))
            throw ApiException.Invalid("stop", "a stop sequence is empty");
        return stop;
    }

    public static WireMessage ToWireMessage(ChatResponse response)
    {
        var contents = response.Messages.SelectMany(m => m.Contents).ToList();
        var calls = ToolCalls(contents);
        string text = string.Concat(contents.OfType<TextContent>().Select(t => t.Text));
        string reasoning = string.Concat(contents.OfType<TextReasoningContent>().Select(t => t.Text));
        return new WireMessage
        {
            Role = "assistant",
            Content = calls is not null && text.Length == 0 ? null : text,
            ReasoningContent = reasoning.Length > 0 ? reasoning : null,
            ToolCalls = calls,
        };
    }

    /// <summary>The delta of one update, or null when it carries no output.</summary>
    public static WireDelta? ToDelta(ChatResponseUpdate update, bool repeatRole)
    {
        string text = string.Concat(update.Contents.OfType<TextContent>().Select(t => t.Text));
        string reasoning = string.Concat(update.Contents.OfType<TextReasoningContent>().Select(t => t.Text));
        var calls = ToolCalls(update.Contents);
        if (text.Length == 0 && reasoning.Length == 0 && calls is null)
            return null;
        return new WireDelta
        {
            Role = repeatRole ? "assistant" : null,
            Content = text.Length > 0 || calls is null ? text : null,
            ReasoningContent = reasoning.Length > 0 ? reasoning : null,
            ToolCalls = calls,
        };
    }

    private static List<WireToolCall>? ToolCalls(IEnumerable<AIContent> contents)
    {
        var calls = contents.OfType<FunctionCallContent>().Select((c, i) => new WireToolCall
        {
            Index = i,
            Id = string.IsNullOrEmpty(c.CallId) ? NewCallId() : c.CallId,
            Function = new WireFunctionCall { Name = c.Name, Arguments = JsonSerializer.Serialize(c.Arguments ?? new Dictionary<string, object?>()) },
        }).ToList();
        return calls.Count > 0 ? calls : null;
    }

    public static WireUsage ToWire(UsageDetails usage) => new()
    {
        PromptTokens = usage.InputTokenCount ?? 0,
        CompletionTokens = usage.OutputTokenCount ?? 0,
        TotalTokens = usage.TotalTokenCount ?? 0,
        PromptTokensDetails = new WirePromptDetails(usage.CachedInputTokenCount ?? 0),
        CompletionTokensDetails = new WireCompletionDetails(usage.ReasoningTokenCount ?? 0),
    };

    private static string NewCallId() => "call_" + RequestIds.NewId();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex FunctionName();
}
