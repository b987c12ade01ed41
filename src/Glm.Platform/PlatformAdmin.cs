using System.Security.Cryptography;
using Glm.Core;

namespace Glm.Platform;

/// <summary>
/// The operator's operations, for the CLI and the server's admin routes: tenants, keys, credit, limits, prices and
/// usage. Every tenant-scoped call takes the tenant id and touches only that tenant's keys and rows. Thread-safe.
/// </summary>
public sealed class PlatformAdmin(IPlatformStore store, KeySecrets secrets, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public async Task<Tenant> CreateTenantAsync(string name, decimal balance = 0, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new GlmException("A tenant needs a name.");
        var tenant = new Tenant(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), name.Trim(), balance, _clock.GetUtcNow());
        await store.CreateTenantAsync(tenant, ct);
        return tenant;
    }

    public Task<Tenant?> FindTenantByNameAsync(string name, CancellationToken ct = default) =>
        store.FindTenantByNameAsync(name, ct);

    /// <summary>The tenant with this name; throws 1111 when there is none.</summary>
    public async Task<Tenant> GetTenantByNameAsync(string name, CancellationToken ct = default) =>
        await store.FindTenantByNameAsync(name, ct) ?? throw PlatformException.TenantNotFound(name);

    public async Task<Tenant> GetTenantAsync(string tenantId, CancellationToken ct = default) =>
        await store.FindTenantAsync(tenantId, ct) ?? throw PlatformException.TenantNotFound(tenantId);

    /// <summary>
    /// Issues a key. The returned <see cref="IssuedKey"/> is the only place its secret appears: show it once.
    /// </summary>
    public async Task<IssuedKey> CreateKeyAsync(string tenantId, string name = "default", KeyLimits? limits = null,
        CancellationToken ct = default)
    {
        await GetTenantAsync(tenantId, ct);
        string id = KeySecrets.NewKeyId();
        string secret = secrets.SecretOf(id);
        await store.CreateKeyAsync(new ApiKeyRecord(id, tenantId, name, secrets.HashOf(secret),
            (limits ?? KeyLimits.Unlimited).Validated(), _clock.GetUtcNow(), null), ct);
        return new IssuedKey(tenantId, id, secret);
    }

    /// <summary>The tenant's keys, revoked ones included; never a secret.</summary>
    public Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string tenantId, CancellationToken ct = default) =>
        store.ListKeysAsync(tenantId, ct);

    /// <summary>Revokes at once: the next request with the key gets 1004. False when the tenant has no such live key.</summary>
    public Task<bool> RevokeKeyAsync(string tenantId, string keyId, CancellationToken ct = default) =>
        store.RevokeKeyAsync(tenantId, keyId, _clock.GetUtcNow(), ct);

    /// <summary>Applies to requests authenticated after the change. False when the tenant has no such key.</summary>
    public Task<bool> SetKeyLimitsAsync(string tenantId, string keyId, KeyLimits limits, CancellationToken ct = default) =>
        store.SetKeyLimitsAsync(tenantId, keyId, limits.Validated(), ct);

    /// <summary>
    /// Adds credit (negative to take it back). A relative change, not "set", so it never loses a debit written
    /// concurrently. Returns the new balance.
    /// </summary>
    public async Task<decimal> AddCreditAsync(string tenantId, decimal amount, CancellationToken ct = default)
    {
        if (!await store.AdjustBalanceAsync(tenantId, amount, ct))
            throw PlatformException.TenantNotFound(tenantId);
        return (await GetTenantAsync(tenantId, ct)).Balance;
    }

    /// <summary>Sets a model's price from <paramref name="effectiveFrom"/> (default now); older rows keep their cost.</summary>
    public Task SetPriceAsync(string model, decimal inputPerMillion, decimal outputPerMillion,
        DateTimeOffset? effectiveFrom = null, CancellationToken ct = default)
    {
        if (inputPerMillion < 0 || outputPerMillion < 0)
            throw new GlmException($"Prices of '{model}' must not be negative.");
        return store.AddPriceAsync(new ModelPrice(model, inputPerMillion, outputPerMillion, effectiveFrom ?? _clock.GetUtcNow()), ct);
    }

    /// <summary>The tenant's usage rows with <c>from &lt;= At &lt; to</c>.</summary>
    public Task<IReadOnlyList<UsageRecord>> UsageAsync(string tenantId, DateTimeOffset from, DateTimeOffset to,
        CancellationToken ct = default) =>
        store.ListUsageAsync(tenantId, from, to, ct);

    /// <summary>The tenant's usage with <c>from &lt;= At &lt; to</c>, summed per model and UTC day, with the total.</summary>
    public async Task<Invoice> InvoiceAsync(string tenantId, DateTimeOffset from, DateTimeOffset to,
        CancellationToken ct = default) =>
        new(tenantId, from, to, await store.SummarizeUsageAsync(tenantId, from, to, ct));
}
