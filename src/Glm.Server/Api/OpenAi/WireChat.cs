using System.Text.Json;
using System.Text.Json.Serialization;

namespace Glm.Server.Api.OpenAi;

// Wire shapes the OpenAI and Zhipu dialects share (Zhipu's v4 chat API is OpenAI-shaped). Property names are
// snake_case through the server's JSON options; nulls are left out unless a property says otherwise.

/// <summary>A chat message: <c>content</c> is a string or an array of parts (text parts are joined).</summary>
public sealed class WireMessage
{
    public string? Role { get; set; }

    /// <summary>Written even when null: a reply that only calls tools has <c>"content": null</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    [JsonConverter(typeof(TextOrPartsConverter))]
    public string? Content { get; set; }

    public string? ReasoningContent { get; set; }

    public List<WireToolCall>? ToolCalls { get; set; }

    public string? ToolCallId { get; set; }

    public string? Name { get; set; }
}

/// <summary>A streamed delta; Zhipu repeats <c>role</c> in every delta.</summary>
public sealed class WireDelta
{
    public string? Role { get; set; }

    public string? Content { get; set; }

    public string? ReasoningContent { get; set; }

    public List<WireToolCall>? ToolCalls { get; set; }
}

/// <summary>A tool call; <c>arguments</c> is a JSON string, as both dialects send it.</summary>
public sealed class WireToolCall
{
    public int? Index { get; set; }

    public string? Id { get; set; }

    public string? Type { get; set; } = "function";

    public WireFunctionCall? Function { get; set; }
}

public sealed class WireFunctionCall
{
    public string? Name { get; set; }

    public string? Arguments { get; set; }
}

/// <summary>A tool the caller offers: only <c>function</c> tools run here.</summary>
public sealed class WireTool
{
    public string? Type { get; set; }

    public WireFunction? Function { get; set; }
}

public sealed class WireFunction
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    /// <summary>JSON Schema of the arguments; omitted for a function without arguments.</summary>
    public JsonElement? Parameters { get; set; }
}

/// <summary><c>{"type":"json_object"}</c> or <c>{"type":"json_schema","json_schema":{...}}</c>.</summary>
public sealed class WireResponseFormat
{
    public string? Type { get; set; }

    public JsonElement? JsonSchema { get; set; }
}

public sealed class WireUsage
{
    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    public long TotalTokens { get; set; }

    public WirePromptDetails? PromptTokensDetails { get; set; }

    public WireCompletionDetails? CompletionTokensDetails { get; set; }
}

public sealed record WirePromptDetails(long CachedTokens);

public sealed record WireCompletionDetails(long ReasoningTokens);

/// <summary>Reads a string, or an array of <c>{"type":"text","text":...}</c> parts joined; other parts are refused.</summary>
public sealed class TextOrPartsConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.StartArray:
                using (var parts = JsonDocument.ParseValue(ref reader))
                {
                    var text = new System.Text.StringBuilder();
                    foreach (var part in parts.RootElement.EnumerateArray())
                    {
                        string? type = part.TryGetProperty("type", out var t) ? t.GetString() : null;
                        if (type != "text" || !part.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
                            throw new JsonException($"content part of type \"{type}\" is not supported; only text parts are");
                        text.Append(value.GetString());
                    }
                    return text.ToString();
                }
            default:
                throw new JsonException("content must be a string or an array of parts");
        }
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null)
            writer.WriteNullValue();
        else
            writer.WriteStringValue(value);
    }
}

/// <summary>Reads <c>stop</c> as one string or a list of strings.</summary>
public sealed class StringOrListConverter : JsonConverter<List<string>>
{
    public override List<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? [reader.GetString()!]
            : JsonSerializer.Deserialize<List<string>>(ref reader) ?? [];

    public override void Write(Utf8JsonWriter writer, List<string> value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value);
}
