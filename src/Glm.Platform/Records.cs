namespace Glm.Platform;

/// <summary>A paying customer. <paramref name="Balance"/> is in the price book's currency; usage debits it.</summary>
public sealed record Tenant(string Id, string Name, decimal Balance, DateTimeOffset CreatedAt);

/// <summary>
/// Per-key limits, each per key and in-process. Zero means unlimited.
/// </summary>
/// <param name="RequestsPerMinute">Requests admitted in any sliding 60-second window.</param>
/// <param name="TokensPerMinute">Prompt plus completion tokens charged in any sliding 60-second window.</param>
/// <param name="MaxConcurrency">Requests in flight at once.</param>
public sealed record KeyLimits(int RequestsPerMinute = 0, int TokensPerMinute = 0, int MaxConcurrency = 0)
{
    /// <summary>No limit at all.</summary>
    public static readonly KeyLimits Unlimited = new();

    /// <summary>Throws when a limit is negative.</summary>
    public KeyLimits Validated()
    {
        if (RequestsPerMinute < 0 || TokensPerMinute < 0 || MaxConcurrency < 0)
            throw new ArgumentException($"Limits must be zero (unlimited) or positive: {this}.");
        return this;
    }
}

/// <summary>
/// An API key as stored: never the secret, only <paramref name="SecretHash"/> (see <see cref="KeySecrets"/>).
/// </summary>
public sealed record ApiKeyRecord(
    string Id, string TenantId, string Name, string SecretHash, KeyLimits Limits,
    DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;
}

/// <summary>
/// One price of a model, valid from <paramref name="EffectiveFrom"/> until the next price of the same model.
/// Prices are per million tokens; cached prompt tokens are billed as prompt tokens.
/// </summary>
public sealed record ModelPrice(string Model, decimal InputPerMillion, decimal OutputPerMillion, DateTimeOffset EffectiveFrom)
{
    /// <summary>The cost of one request at this price, rounded to the ledger's resolution (1e-9).</summary>
    public decimal CostOf(long promptTokens, long completionTokens) =>
        decimal.Round((promptTokens * InputPerMillion + completionTokens * OutputPerMillion) / 1_000_000m, 9);
}

/// <summary>
/// One row of the usage ledger: one request, written once (the request id is unique).
/// <paramref name="CachedTokens"/> is the part of <paramref name="PromptTokens"/> served from a prompt cache.
/// </summary>
public sealed record UsageRecord(
    string RequestId, string TenantId, string KeyId, string Model,
    long PromptTokens, long CompletionTokens, long CachedTokens,
    decimal Cost, TimeSpan Latency, string FinishReason, DateTimeOffset At);

/// <summary>Usage of one tenant, one model, one UTC day, summed.</summary>
public sealed record UsageLine(
    string TenantId, string Model, DateOnly Day, long Requests,
    long PromptTokens, long CompletionTokens, long CachedTokens, decimal Cost);

/// <summary>What a tenant owes for a period: the usage lines and their total.</summary>
public sealed record Invoice(string TenantId, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<UsageLine> Lines)
{
    public decimal Total => Lines.Sum(l => l.Cost);
}
