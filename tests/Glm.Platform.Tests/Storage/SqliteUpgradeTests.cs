using Microsoft.Data.Sqlite;

namespace Glm.Platform.Tests.Storage;

/// <summary>A ledger written by the first schema (request ids unique across all tenants) opens with its rows intact.</summary>
public sealed class SqliteUpgradeTests : IDisposable
{
    // What schema version 1 created, as a database of that version holds it.
    private const string Version1 = """
        CREATE TABLE schema_version (version BIGINT NOT NULL);
        INSERT INTO schema_version (version) VALUES (1);
        CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, balance_nano BIGINT NOT NULL, created_ms BIGINT NOT NULL);
        CREATE TABLE api_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (id), name TEXT NOT NULL,
            secret_hash TEXT NOT NULL, rpm BIGINT NOT NULL, tpm BIGINT NOT NULL, max_concurrency BIGINT NOT NULL,
            created_ms BIGINT NOT NULL, revoked_ms BIGINT NULL);
        CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
        CREATE TABLE prices (model TEXT NOT NULL, effective_ms BIGINT NOT NULL, input_nano BIGINT NOT NULL,
            output_nano BIGINT NOT NULL, PRIMARY KEY (model, effective_ms));
        CREATE TABLE usage (request_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (id), key_id TEXT NOT NULL,
            model TEXT NOT NULL, prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL,
            cached_tokens BIGINT NOT NULL, cost_nano BIGINT NOT NULL, latency_ms BIGINT NOT NULL,
            finish_reason TEXT NOT NULL, at_ms BIGINT NOT NULL);
        CREATE INDEX usage_tenant_at ON usage (tenant_id, at_ms);
        INSERT INTO tenants VALUES ('t1', 'acme', 900000000, 0), ('t2', 'globex', 1000000000, 0);
        INSERT INTO prices VALUES ('glm-4', 0, 1000000000, 2000000000);
        INSERT INTO usage VALUES ('req-1', 't1', 'k1', 'glm-4', 1000, 500, 0, 100000000, 250, 'stop', 1000);
        """;

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"glm-upgrade-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task A_version_1_ledger_keeps_its_rows_and_then_takes_request_ids_per_tenant()
    {
        await using (var db = new SqliteConnection($"Data Source={_path}"))
        {
            await db.OpenAsync();
            await using var command = db.CreateCommand();
            command.CommandText = Version1;
            await command.ExecuteNonQueryAsync();
        }

        var store = await PlatformStores.OpenAsync("sqlite:" + _path);
        var kept = await store.FindUsageAsync("t1", "req-1");
        Assert.Equal(("glm-4", 1000L, 500L, 0.1m, "stop"), (kept?.Model, kept?.PromptTokens, kept?.CompletionTokens, kept?.Cost, kept?.FinishReason));

        var other = new UsageRecord("req-1", "t2", "k2", "glm-4", 10, 0, 0, 0.001m, TimeSpan.Zero, "stop", DateTimeOffset.UnixEpoch);
        Assert.True(await store.RecordUsageAsync(other));
        Assert.False(await store.RecordUsageAsync(other));
        Assert.Equal(0.999m, (await store.FindTenantAsync("t2"))?.Balance);
        Assert.Equal(0.9m, (await store.FindTenantAsync("t1"))?.Balance);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (string file in new[] { _path, _path + "-wal", _path + "-shm" })
            File.Delete(file);
    }
}
