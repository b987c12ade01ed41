using Glm.Server.Gate;
using Glm.Server.Metrics;
using Glm.Server.Models;
using Microsoft.Extensions.AI;

namespace Glm.Server.Serving;

/// <summary>A chat request after a dialect has parsed it; <see cref="MaxTokens"/> is what the caller asked for.</summary>
internal sealed record ChatCall(string? Model, IList<ChatMessage> Messages, ChatOptions Options, int? MaxTokens, string? RequestId);

/// <summary>
/// The dialect-neutral half of a chat completion: resolves the model, holds the request id in flight (ids are the
/// caller's tenant's: another tenant's ids never collide with them), checks the
/// prompt against the context window (error 1261), clamps the output budget to what fits, and starts a
/// <see cref="ChatRun"/>. The model sees the request id as <c>ChatOptions.AdditionalProperties["request_id"]</c>,
/// and <c>["request_id_from_caller"] = true</c> when the caller chose it (a server-made id is new by construction).
/// Thread safe.
/// </summary>
internal sealed class ChatRunner(ServedModels models, RequestIds requestIds, ServerMetrics metrics)
{
    /// <summary>Key of <see cref="ChatOptions.AdditionalProperties"/>: the request id (a string).</summary>
    public const string RequestIdKey = "request_id";

    /// <summary>Key of <see cref="ChatOptions.AdditionalProperties"/>: present (true) when the caller sent the request id.</summary>
    public const string CallerRequestIdKey = "request_id_from_caller";

    /// <summary>Validates <paramref name="call"/> and returns a run the caller must dispose (it releases the
    /// request id). Throws <see cref="ApiException"/> for anything the caller must fix.</summary>
    public ChatRun Start(ChatCall call)
    {
        if (string.IsNullOrEmpty(call.Model))
            throw ApiException.Missing("model");
        var (entry, backend) = models.Resolve(call.Model) ?? throw ApiException.UnknownModel(call.Model);
        if (entry.Kind != ModelKind.Chat || backend.Chat is null)
            throw ApiException.Unsupported(entry.Name, "chat completions");
        if (call.Messages.Count == 0)
            throw ApiException.Missing("messages");
        if (!call.Messages.Any(m => m.Role == ChatRole.User || m.Role == ChatRole.Tool))
            throw ApiException.Invalid("messages", "must contain a user message, not only system or assistant messages");
        if (call.MaxTokens is <= 0)
            throw ApiException.Invalid("max_tokens", $"must be at least 1 (got {call.MaxTokens})");

        int prompt = backend.Tokenizer.CountPromptTokens(call.Messages.ToList());
        if (prompt >= entry.ContextWindow)
            throw ApiException.PromptTooLong(entry.Name, prompt, entry.ContextWindow);
        int maxTokens = Math.Min(Math.Min(call.MaxTokens ?? entry.DefaultMaxTokens, entry.MaxOutputTokens), entry.ContextWindow - prompt);

        var options = call.Options.Clone();
        options.ModelId = entry.Name;
        options.MaxOutputTokens = maxTokens;
        var lease = requestIds.Begin(ScopeOf(call.Options.AdditionalProperties?.GetValueOrDefault("caller")), call.RequestId);
        (options.AdditionalProperties ??= [])[RequestIdKey] = lease.Id;
        if (!string.IsNullOrEmpty(call.RequestId))
            options.AdditionalProperties[CallerRequestIdKey] = true;
        return new ChatRun(entry, backend, call.Messages, options, prompt, lease, metrics);
    }

    /// <summary>Whose request ids and async results these are: the caller's tenant (or the name the gate gave the
    /// caller); empty when the server runs without a gate.</summary>
    public static string ScopeOf(object? caller) =>
        caller switch
        {
            PlatformCaller platform => platform.Identity.TenantId,
            string name => name,
            _ => "",
        };
}
