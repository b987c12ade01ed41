namespace Glm.Platform;

/// <summary>
/// Prices requests and writes them to the ledger: the balance pre-check before a request, and the one usage row
/// (with its debit) after it. Thread-safe.
/// </summary>
public sealed class UsageLedger(IPlatformStore store, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>
    /// The pre-check before a request: throws 1113 when the tenant's balance is zero or below, 1111 when the tenant
    /// does not exist, and 1211 when <paramref name="model"/> (if known yet) has no price now.
    /// </summary>
    public async Task EnsureCanSpendAsync(string tenantId, string? model, CancellationToken ct = default)
    {
        var tenant = await store.FindTenantAsync(tenantId, ct) ?? throw PlatformException.TenantNotFound(tenantId);
        if (tenant.Balance <= 0)
            throw PlatformException.OutOfBalance(tenant.Name);
        if (model is not null && await store.FindPriceAsync(model, _clock.GetUtcNow(), ct) is null)
            throw PlatformException.ModelNotPriced(model);
    }

    /// <summary>
    /// Prices the request at the price in force when it <paramref name="startedAt"/> (a later price change never
    /// re-prices it), then writes its row and debits the cost. Returns the row, and whether it was new (false: a row
    /// with this request id was already written, and nothing changed). Throws 1211 when the model has no price.
    /// </summary>
    public async Task<(UsageRecord Row, bool Written)> RecordAsync(
        string requestId, KeyIdentity caller, string model, long promptTokens, long completionTokens, long cachedTokens,
        DateTimeOffset startedAt, TimeSpan latency, string finishReason, CancellationToken ct = default)
    {
        var price = await store.FindPriceAsync(model, startedAt, ct) ?? throw PlatformException.ModelNotPriced(model);
        var row = new UsageRecord(requestId, caller.TenantId, caller.KeyId, model, promptTokens, completionTokens,
            cachedTokens, price.CostOf(promptTokens, completionTokens), latency, finishReason, startedAt);
        return (row, await store.RecordUsageAsync(row, ct));
    }
}
