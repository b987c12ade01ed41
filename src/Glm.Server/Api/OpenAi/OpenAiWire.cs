using System.Text.Json;
using System.Text.Json.Serialization;

namespace Glm.Server.Api.OpenAi;

/// <summary>Body of <c>POST /v1/chat/completions</c>; Zhipu's extra fields (<c>do_sample</c>, <c>request_id</c>,
/// <c>user_id</c>) are accepted too.</summary>
public sealed class OpenAiChatRequest
{
    public string? Model { get; set; }

    public List<WireMessage>? Messages { get; set; }

    /// <summary>[0, 2]; 0 is greedy. Omitted: the model's default.</summary>
    public double? Temperature { get; set; }

    /// <summary>[0, 1].</summary>
    public double? TopP { get; set; }

    public int? MaxTokens { get; set; }

    /// <summary>Wins over <c>max_tokens</c> when both are given.</summary>
    public int? MaxCompletionTokens { get; set; }

    [JsonConverter(typeof(StringOrListConverter))]
    public List<string>? Stop { get; set; }

    public bool? Stream { get; set; }

    public OpenAiStreamOptions? StreamOptions { get; set; }

    public long? Seed { get; set; }

    /// <summary>Only 1 is served.</summary>
    public int? N { get; set; }

    public double? FrequencyPenalty { get; set; }

    public double? PresencePenalty { get; set; }

    public List<WireTool>? Tools { get; set; }

    public JsonElement? ToolChoice { get; set; }

    public WireResponseFormat? ResponseFormat { get; set; }

    public string? User { get; set; }

    public bool? DoSample { get; set; }

    public string? RequestId { get; set; }

    public string? UserId { get; set; }
}

public sealed class OpenAiStreamOptions
{
    /// <summary>Adds a last chunk with empty <c>choices</c> and the usage.</summary>
    public bool? IncludeUsage { get; set; }
}

public sealed class OpenAiChatCompletion
{
    public string? Id { get; set; }

    public string Object { get; set; } = "chat.completion";

    public long Created { get; set; }

    public string? Model { get; set; }

    public string? RequestId { get; set; }

    public List<OpenAiChoice>? Choices { get; set; }

    public WireUsage? Usage { get; set; }
}

public sealed class OpenAiChoice
{
    public int Index { get; set; }

    public WireMessage? Message { get; set; }

    public string? FinishReason { get; set; }
}

public sealed class OpenAiChunk
{
    public string? Id { get; set; }

    public string Object { get; set; } = "chat.completion.chunk";

    public long Created { get; set; }

    public string? Model { get; set; }

    public List<OpenAiChunkChoice> Choices { get; set; } = [];

    public WireUsage? Usage { get; set; }
}

public sealed class OpenAiChunkChoice
{
    public int Index { get; set; }

    public WireDelta Delta { get; set; } = new();

    /// <summary>Null until the last content chunk; written as null, as OpenAI does.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; set; }
}

/// <summary><c>{"error":{"message","type","param","code"}}</c>; <c>code</c> is Zhipu's code string.</summary>
public sealed record OpenAiError(OpenAiErrorBody Error);

public sealed record OpenAiErrorBody(
    string Message,
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    string Code);
