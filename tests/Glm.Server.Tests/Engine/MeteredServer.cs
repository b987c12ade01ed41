using System.Security.Cryptography;
using Glm.Platform;
using Glm.Server.Billing;
using Glm.Server.Engine;
using Glm.Server.Gate;
using Glm.Server.Models;
using Glm.Tokenizers;
using Microsoft.AspNetCore.Builder;

namespace Glm.Server.Tests.Engine;

/// <summary>
/// The real thing on 127.0.0.1 (a free port): the CPU engine on a tiny random model, the platform gate and metering
/// over a SQLite ledger in a temporary folder. Registry: <c>glm-4</c> (the tiny model, 1000 per million input tokens,
/// 2000 per million output), <c>glm-4-air</c> (the same model, at most 2 requests per minute per key) and
/// <c>glm-4-flash</c> (a checkpoint that does not exist).
/// </summary>
public sealed class MeteredServer : IAsyncLifetime
{
    public const decimal InputPrice = 1000m, OutputPrice = 2000m;

    private readonly string _folder = Directory.CreateTempSubdirectory("glm-metered-").FullName;
    private WebApplication? _app;

    public IPlatformStore Store { get; private set; } = null!;

    public PlatformAdmin Admin { get; private set; } = null!;

    public ByteLevelBpeTokenizer Tokenizer { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public string MissingCheckpoint => Path.Combine(_folder, "not-trained-yet");

    public async Task InitializeAsync()
    {
        Tokenizer = SyntheticGguf.WriteTiny(_folder, contextLength: 1024);
        string registry = Path.Combine(_folder, "serve.json");
        await File.WriteAllTextAsync(registry, $$"""
            { "models": {
                "glm-4": { "checkpoint": "tiny.gguf", "context_window": 1024, "max_output_tokens": 1000, "default_max_tokens": 8,
                           "price_per_million_input": {{InputPrice}}, "price_per_million_output": {{OutputPrice}} },
                "glm-4-flash": { "checkpoint": "not-trained-yet", "context_window": 256 },
                "glm-4-air": { "checkpoint": "tiny.gguf", "context_window": 1024, "default_max_tokens": 4,
                               "price_per_million_input": {{InputPrice}}, "price_per_million_output": {{OutputPrice}},
                               "rate_limits": { "requests_per_minute": 2 } } } }
            """);
        Store = await PlatformStores.OpenAsync("sqlite:" + Path.Combine(_folder, "platform.db"));
        var secrets = new KeySecrets(RandomNumberGenerator.GetBytes(32));
        Admin = new PlatformAdmin(Store, secrets);
        var models = ModelRegistry.Load(registry);
        await PriceBookSync.ApplyAsync(models, Store, Admin);
        var limiter = new KeyRateLimiter();
        _app = GlmServer.Build(new GlmServerOptions
        {
            Registry = models,
            Backends = EngineBackends.Create(threads: 1, Store, limiter),
            Urls = "http://127.0.0.1:0",
            Gate = new PlatformGate(new ApiKeyAuthenticator(Store, secrets), new UsageLedger(Store), limiter),
        });
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single());
    }

    /// <summary>A new tenant with <paramref name="balance"/> and one key.</summary>
    public async Task<(Tenant Tenant, IssuedKey Key)> NewTenantAsync(decimal balance, KeyLimits? limits = null)
    {
        var tenant = await Admin.CreateTenantAsync("t-" + Guid.NewGuid().ToString("N"), balance);
        return (tenant, await Admin.CreateKeyAsync(tenant.Id, limits: limits));
    }

    public HttpClient Http(string? bearer) =>
        new() { BaseAddress = BaseAddress, DefaultRequestHeaders = { Authorization = bearer is null ? null : new("Bearer", bearer) } };

    /// <summary>Every usage row of the tenant.</summary>
    public Task<IReadOnlyList<UsageRecord>> UsageAsync(Tenant tenant) =>
        Admin.UsageAsync(tenant.Id, DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow.AddDays(1));

    public async Task<decimal> BalanceAsync(Tenant tenant) => (await Admin.GetTenantAsync(tenant.Id)).Balance;

    public static decimal CostOf(long prompt, long completion) => decimal.Round((prompt * InputPrice + completion * OutputPrice) / 1_000_000m, 9);

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (Store is IAsyncDisposable disposable)
            await disposable.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
