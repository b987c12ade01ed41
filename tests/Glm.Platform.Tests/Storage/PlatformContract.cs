using Glm.Core;

namespace Glm.Platform.Tests.Storage;

/// <summary>
/// Everything that touches storage, run once per backend (<see cref="SqlitePlatformTests"/>,
/// <see cref="PostgresPlatformTests"/>). Each test gets a fresh, migrated, empty store.
/// Split by topic into the partial files beside this one.
/// </summary>
public abstract partial class PlatformContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2026, 11, 28, 23, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Pepper = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private IPlatformStore? _store;

    protected ManualClock Clock { get; } = new(Start);

    protected KeySecrets Secrets { get; } = new(Pepper);

    /// <summary>The backend's store; skips the test where the backend is not available (never in CI).</summary>
    protected IPlatformStore Store => _store ?? throw new SkipException(UnavailableReason);

    protected PlatformAdmin Admin => new(Store, Secrets, Clock);

    protected UsageLedger Ledger => new(Store, Clock);

    protected ApiKeyAuthenticator Authenticator => new(Store, Secrets, Clock);

    protected virtual string UnavailableReason => "backend not available";

    /// <summary>A new empty store, or null when this machine has no such backend and may skip it.</summary>
    protected abstract Task<IPlatformStore?> CreateStoreAsync();

    protected abstract Task DeleteStoreAsync();

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        if (_store is not null)
            await _store.MigrateAsync();
    }

    public Task DisposeAsync() => _store is null ? Task.CompletedTask : DeleteStoreAsync();

    [SkippableFact]
    public async Task Migrating_again_keeps_the_data()
    {
        var tenant = await Admin.CreateTenantAsync("acme", 10m);
        await Store.MigrateAsync();
        Assert.Equal(10m, (await Admin.GetTenantAsync(tenant.Id)).Balance);
    }

    [SkippableFact]
    public async Task Tenant_names_are_unique()
    {
        await Admin.CreateTenantAsync("acme");
        var e = await Assert.ThrowsAsync<GlmException>(() => Admin.CreateTenantAsync("acme"));
        Assert.Contains("acme", e.Message);
    }

    [SkippableFact]
    public async Task Credit_is_added_with_nano_precision()
    {
        var tenant = await Admin.CreateTenantAsync("acme", 1.5m);
        Assert.Equal(1.500000001m, await Admin.AddCreditAsync(tenant.Id, 0.000000001m));
        var missing = await Assert.ThrowsAsync<PlatformException>(() => Admin.AddCreditAsync("nope", 1m));
        Assert.Equal("1111", missing.Code);
    }

    /// <summary>Creates a tenant with a key and a price for "glm-4-flash" (1 per M in, 2 per M out).</summary>
    protected async Task<(Tenant Tenant, IssuedKey Key)> TenantWithKeyAsync(string name, decimal balance = 100m)
    {
        var tenant = await Admin.CreateTenantAsync(name, balance);
        var key = await Admin.CreateKeyAsync(tenant.Id);
        if (await Store.FindPriceAsync("glm-4-flash", Clock.GetUtcNow()) is null)
            await Admin.SetPriceAsync("glm-4-flash", 1m, 2m, Start.AddDays(-1));
        return (tenant, key);
    }

    protected static KeyIdentity IdentityOf(IssuedKey key) => new(key.TenantId, key.KeyId, KeyLimits.Unlimited);
}
