using Glm.Inference.Scheduling;

namespace Glm.Server.Serving;

/// <summary>
/// A request the server refuses, in dialect-neutral terms: the HTTP status, Zhipu's error code (a string such as
/// "1211") and a message in the caller's terms. Each dialect writes it in its own error envelope.
/// </summary>
public sealed class ApiException(int status, string code, string message, string? param = null) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    /// <summary>The request field at fault, when there is one (OpenAI's <c>param</c>).</summary>
    public string? Param { get; } = param;

    public static ApiException Missing(string field) => new(400, "1213", $"{field} not received", field);

    public static ApiException Invalid(string field, string why) => new(400, "1214", $"invalid {field}: {why}", field);

    public static ApiException UnknownModel(string model) => new(400, "1211", $"model {model} does not exist", "model");

    public static ApiException Unsupported(string model, string method) =>
        new(400, "1212", $"model {model} does not support {method}", "model");

    public static ApiException PromptTooLong(string model, int promptTokens, int contextWindow) =>
        new(400, "1261", $"prompt is {promptTokens} tokens; model {model} reads at most {contextWindow} (prompt plus at least one output token)", "messages");

    public static ApiException DuplicateRequestId(string id) => new(400, "1231", $"request_id {id} is already in flight", "request_id");

    public static ApiException BodyTooLarge(long? limit) =>
        new(413, "1210", $"request body exceeds the server's limit of {limit} bytes");

    public static ApiException BadJson(string why) => new(400, "1210", $"request body is not valid: {why}");

    /// <summary>The engine's slots and queue are full (HTTP 429 and, where there is a response, <c>Retry-After</c>).</summary>
    public static ApiException Busy(SchedulerBusyException e) =>
        new(429, "1302", $"the model is busy: {e.Queued} requests are waiting; retry in {Math.Ceiling(e.RetryAfter.TotalSeconds)} s");
}
