using System.Runtime.CompilerServices;
using Glm.Platform;
using Glm.Server.Gate;
using Glm.Server.Serving;
using Microsoft.Extensions.AI;

namespace Glm.Server.Billing;

/// <summary>
/// Turns the server's view of a request into the platform's metering terms: the <see cref="PlatformCaller"/> the gate
/// named (<c>AdditionalProperties["caller"]</c>) and the request id the server assigned become the
/// <see cref="MeteredCall"/> that the <see cref="MeteringChatClient"/> inside it bills, exactly once. Before any
/// compute, a request id the caller chose and the ledger already holds for the tenant is refused (1231): the ledger
/// never bills an id twice, so the request must not run twice. With <paramref name="modelLimits"/>, the key is then
/// admitted under the model's own per-key limits (429 with 1302/1303 when over them, before any compute). After the
/// call, its tokens are charged to the key's tokens-per-minute windows. A call without a <see cref="PlatformCaller"/>
/// is an error. Thread safe if the inner client is.
/// </summary>
internal sealed class CallerBillingChatClient(IChatClient inner, IPlatformStore store, ModelKeyLimits? modelLimits = null)
    : DelegatingChatClient(inner)
{
    public const string CallerKey = "caller";

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (caller, metered) = await PrepareAsync(options, cancellationToken);
        using var modelLease = modelLimits?.Admit(caller.Identity);
        var response = await base.GetResponseAsync(messages, metered, cancellationToken);
        long tokens = response.Usage?.TotalTokenCount ?? 0;
        caller.Lease?.ChargeTokens(tokens);
        modelLease?.ChargeTokens(tokens);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (caller, metered) = await PrepareAsync(options, cancellationToken);
        using var modelLease = modelLimits?.Admit(caller.Identity);
        long? reported = null;
        long outputUpdates = 0;
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, metered, cancellationToken))
            {
                foreach (var content in update.Contents)
                {
                    if (content is UsageContent usage)
                        reported = Math.Max(reported ?? 0, usage.Details.TotalTokenCount ?? 0);
                    else
                        outputUpdates++;
                }
                yield return update;
            }
        }
        finally
        {
            // A stream abandoned before its usage report: one token per update with output, as metering counts it.
            caller.Lease?.ChargeTokens(reported ?? outputUpdates);
            modelLease?.ChargeTokens(reported ?? outputUpdates);
        }
    }

    private async Task<(PlatformCaller Caller, ChatOptions Options)> PrepareAsync(ChatOptions? options, CancellationToken cancellationToken)
    {
        var properties = options?.AdditionalProperties;
        if (properties?.TryGetValue(CallerKey, out object? value) != true || value is not PlatformCaller caller)
            throw new InvalidOperationException($"A billed chat call needs a {nameof(PlatformCaller)} in AdditionalProperties[\"{CallerKey}\"].");
        if (properties.TryGetValue(ChatRunner.RequestIdKey, out object? id) != true || id is not string requestId)
            throw new InvalidOperationException($"A billed chat call needs a request id in AdditionalProperties[\"{ChatRunner.RequestIdKey}\"].");
        if (properties.ContainsKey(ChatRunner.CallerRequestIdKey) && await store.FindUsageAsync(caller.Identity.TenantId, requestId, cancellationToken) is not null)
            throw new ApiException(400, "1231", $"request_id {requestId} was already used; send a new one for each request", "request_id");

        var inner = options!.Clone();
        inner.AdditionalProperties = properties.Clone();
        inner.AdditionalProperties.Remove(CallerKey);
        inner.AdditionalProperties.Remove(ChatRunner.CallerRequestIdKey);
        return (caller, new MeteredCall(caller.Identity, requestId).ForCaller(inner));
    }
}

/// <summary>A model's limits for each key (<c>rate_limits</c> in the registry), kept by the server's limiter.</summary>
internal sealed record ModelKeyLimits(KeyRateLimiter Limiter, string Model, KeyLimits Limits)
{
    public KeyRateLimiter.RateLease Admit(KeyIdentity caller) => Limiter.Acquire(caller, Model, Limits);
}
