using System.Text.Json;
using System.Text.Json.Serialization;
using Glm.Server.Api.OpenAi;

namespace Glm.Server.Api.Zhipu;

/// <summary>Body of <c>POST /api/paas/v4/chat/completions</c> (and the async variant, which ignores
/// <c>stream</c>). Fields the server does not act on (<c>meta</c>, <c>extra</c>, <c>sensitive_word_check</c>, ...)
/// are accepted and passed to the model in <c>ChatOptions.AdditionalProperties</c>.</summary>
public sealed class ZhipuChatRequest
{
    public string? Model { get; set; }

    public List<WireMessage>? Messages { get; set; }

    public string? RequestId { get; set; }

    public string? UserId { get; set; }

    /// <summary>Default true; false means greedy decoding and <c>temperature</c>/<c>top_p</c> are ignored.</summary>
    public bool? DoSample { get; set; }

    public bool? Stream { get; set; }

    /// <summary>Default 0.95; &lt;= 0 means greedy, &gt;= 1 becomes 0.99.</summary>
    public double? Temperature { get; set; }

    /// <summary>Default 0.7; clamped to [0.01, 0.99].</summary>
    public double? TopP { get; set; }

    public int? MaxTokens { get; set; }

    [JsonConverter(typeof(StringOrListConverter))]
    public List<string>? Stop { get; set; }

    public long? Seed { get; set; }

    public List<WireTool>? Tools { get; set; }

    public JsonElement? ToolChoice { get; set; }

    public WireResponseFormat? ResponseFormat { get; set; }

    public JsonElement? SensitiveWordCheck { get; set; }

    public JsonElement? Meta { get; set; }

    public JsonElement? Extra { get; set; }

    public JsonElement? Thinking { get; set; }
}

/// <summary>A completion; async results add <c>task_status</c>.</summary>
public sealed class ZhipuChatCompletion
{
    public string? Id { get; set; }

    public string? RequestId { get; set; }

    public long Created { get; set; }

    public string? Model { get; set; }

    public List<ZhipuChoice>? Choices { get; set; }

    public WireUsage? Usage { get; set; }

    /// <summary>PROCESSING, SUCCESS or FAIL on <c>/async-result</c>; absent elsewhere.</summary>
    public string? TaskStatus { get; set; }

    /// <summary>Why an async task failed (FAIL only).</summary>
    public ZhipuErrorBody? Error { get; set; }
}

public sealed class ZhipuChoice
{
    public int Index { get; set; }

    public string? FinishReason { get; set; }

    public WireMessage? Message { get; set; }
}

/// <summary>One SSE chunk: <c>{"id","created","model","choices":[{"index","finish_reason","delta"}],"usage"}</c>.</summary>
public sealed class ZhipuChunk
{
    public string? Id { get; set; }

    public long Created { get; set; }

    public string? Model { get; set; }

    public List<ZhipuChunkChoice>? Choices { get; set; }

    public WireUsage? Usage { get; set; }
}

public sealed class ZhipuChunkChoice
{
    public int Index { get; set; }

    public string? FinishReason { get; set; }

    public WireDelta? Delta { get; set; }
}

/// <summary>Answer to an async submission and to a poll while the task runs.</summary>
public sealed class ZhipuAsyncTask
{
    public string? Id { get; set; }

    public string? RequestId { get; set; }

    /// <summary>The model name on submission; null while polling, as Zhipu sends it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Model { get; set; }

    public string? TaskStatus { get; set; }
}

/// <summary><c>{"error":{"code":"1211","message":"..."}}</c>; the code is a string.</summary>
public sealed record ZhipuError(ZhipuErrorBody Error);

public sealed record ZhipuErrorBody(string Code, string Message);
