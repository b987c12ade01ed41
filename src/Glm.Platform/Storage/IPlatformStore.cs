namespace Glm.Platform;

/// <summary>
/// Where tenants, keys, prices and the usage ledger live. Two implementations share one schema:
/// <see cref="SqlitePlatformStore"/> (a file, the default) and <see cref="PostgresPlatformStore"/> (several server
/// nodes sharing one ledger). Every read of usage takes a tenant id and returns only that tenant's rows.
/// Implementations are thread-safe; each call opens and closes its own connection.
/// </summary>
public interface IPlatformStore
{
    /// <summary>Creates the tables, or brings an older schema up to date. Safe to call on every start.</summary>
    Task MigrateAsync(CancellationToken ct = default);

    /// <summary>Adds a tenant; throws <see cref="Glm.Core.GlmException"/> when the name is taken.</summary>
    Task CreateTenantAsync(Tenant tenant, CancellationToken ct = default);

    Task<Tenant?> FindTenantAsync(string tenantId, CancellationToken ct = default);

    Task<Tenant?> FindTenantByNameAsync(string name, CancellationToken ct = default);

    /// <summary>Adds <paramref name="delta"/> (may be negative) to the balance; false when the tenant is unknown.</summary>
    Task<bool> AdjustBalanceAsync(string tenantId, decimal delta, CancellationToken ct = default);

    Task CreateKeyAsync(ApiKeyRecord key, CancellationToken ct = default);

    /// <summary>Any tenant's key by id: for authentication only, never for showing to a tenant.</summary>
    Task<ApiKeyRecord?> FindKeyAsync(string keyId, CancellationToken ct = default);

    Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string tenantId, CancellationToken ct = default);

    /// <summary>Marks the key revoked; false when the tenant has no such live key.</summary>
    Task<bool> RevokeKeyAsync(string tenantId, string keyId, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>False when the tenant has no such key.</summary>
    Task<bool> SetKeyLimitsAsync(string tenantId, string keyId, KeyLimits limits, CancellationToken ct = default);

    /// <summary>Adds a price; an existing price of the model from the same instant is replaced.</summary>
    Task AddPriceAsync(ModelPrice price, CancellationToken ct = default);

    /// <summary>The price of <paramref name="model"/> in force at <paramref name="at"/>, or null.</summary>
    Task<ModelPrice?> FindPriceAsync(string model, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>
    /// Writes the row and debits its cost from the tenant's balance in one transaction. A second row with the same
    /// tenant and request id changes nothing and returns false; request ids of different tenants never collide.
    /// </summary>
    Task<bool> RecordUsageAsync(UsageRecord usage, CancellationToken ct = default);

    /// <summary>The tenant's row for <paramref name="requestId"/>, or null (another tenant's row never matches).</summary>
    Task<UsageRecord?> FindUsageAsync(string tenantId, string requestId, CancellationToken ct = default);

    /// <summary>The tenant's rows with <c>from &lt;= At &lt; to</c>, oldest first.</summary>
    Task<IReadOnlyList<UsageRecord>> ListUsageAsync(
        string tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default);

    /// <summary>The tenant's rows with <c>from &lt;= At &lt; to</c>, summed per model and UTC day.</summary>
    Task<IReadOnlyList<UsageLine>> SummarizeUsageAsync(
        string tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default);
}
