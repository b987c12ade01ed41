using System.Data.Common;
using Glm.Core;
using static Glm.Platform.Schema;

namespace Glm.Platform;

/// <summary>
/// The store over plain ADO.NET: all SQL lives here and runs unchanged on SQLite and PostgreSQL; a subclass only
/// opens connections and recognises its provider's unique-violation error.
/// </summary>
public abstract class SqlPlatformStore : IPlatformStore
{
    private const string KeyColumns = "id, tenant_id, name, secret_hash, rpm, tpm, max_concurrency, created_ms, revoked_ms";
    private const string UsageColumns =
        "request_id, tenant_id, key_id, model, prompt_tokens, completion_tokens, cached_tokens, cost_nano, latency_ms, finish_reason, at_ms";

    /// <summary>A new, open connection; the caller disposes it.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>True when <paramref name="error"/> is a UNIQUE or PRIMARY KEY violation.</summary>
    protected abstract bool IsUniqueViolation(DbException error);

    /// <summary>SQL run first inside the migration transaction, to keep two nodes from migrating at once.</summary>
    protected virtual string? MigrationLockSql => null;

    /// <summary>SQL run before migrating, outside any transaction (database-wide settings).</summary>
    protected virtual string? SetupSql => null;

    public async Task MigrateAsync(CancellationToken ct = default)
    {
        await using var db = await OpenAsync(ct);
        if (SetupSql is { } setupSql)
            await ExecAsync(db, null, setupSql, ct);
        await using var tx = await db.BeginTransactionAsync(ct);
        if (MigrationLockSql is { } lockSql)
            await ExecAsync(db, tx, lockSql, ct);
        await ExecAsync(db, tx, "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)", ct);
        long current = await ScalarAsync(db, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version", ct);
        for (int v = (int)current + 1; v <= Migrations.Length; v++)
        {
            foreach (string sql in Migrations[v - 1])
                await ExecAsync(db, tx, sql, ct);
            await ExecAsync(db, tx, "INSERT INTO schema_version (version) VALUES (@v)", ct, ("v", (long)v));
        }
        await tx.CommitAsync(ct);
    }

    public async Task CreateTenantAsync(Tenant tenant, CancellationToken ct = default)
    {
        await using var db = await OpenAsync(ct);
        try
        {
            await ExecAsync(db, null, "INSERT INTO tenants (id, name, balance_nano, created_ms) VALUES (@id, @name, @b, @c)", ct,
                ("id", tenant.Id), ("name", tenant.Name), ("b", ToNano(tenant.Balance)), ("c", ToMs(tenant.CreatedAt)));
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            throw new GlmException($"A tenant named '{tenant.Name}' already exists.", e);
        }
    }

    public Task<Tenant?> FindTenantAsync(string tenantId, CancellationToken ct = default) =>
        FirstAsync("SELECT id, name, balance_nano, created_ms FROM tenants WHERE id = @x", ReadTenant, ct, ("x", tenantId));

    public Task<Tenant?> FindTenantByNameAsync(string name, CancellationToken ct = default) =>
        FirstAsync("SELECT id, name, balance_nano, created_ms FROM tenants WHERE name = @x", ReadTenant, ct, ("x", name));

    public async Task<bool> AdjustBalanceAsync(string tenantId, decimal delta, CancellationToken ct = default)
    {
        await using var db = await OpenAsync(ct);
        return await ExecAsync(db, null, "UPDATE tenants SET balance_nano = balance_nano + @d WHERE id = @t", ct,
            ("d", ToNano(delta)), ("t", tenantId)) == 1;
    }

    public async Task CreateKeyAsync(ApiKeyRecord key, CancellationToken ct = default)
    {
        await using var db = await OpenAsync(ct);
        await ExecAsync(db, null, $"INSERT INTO api_keys ({KeyColumns}) VALUES (@id, @t, @n, @h, @rpm, @tpm, @mc, @c, @r)", ct,
            ("id", key.Id), ("t", key.TenantId), ("n", key.Name), ("h", key.SecretHash),
            ("rpm", (long)key.Limits.RequestsPerMinute), ("tpm", (long)key.Limits.TokensPerMinute),
            ("mc", (long)key.Limits.MaxConcurrency), ("c", ToMs(key.CreatedAt)), ("r", key.RevokedAt is { } r ? ToMs(r) : null));
    }

    public Task<ApiKeyRecord?> FindKeyAsync(string keyId, CancellationToken ct = default) =>
        FirstAsync($"SELECT {KeyColumns} FROM api_keys WHERE id = @x", ReadKey, ct, ("x", keyId));

    public Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string tenantId, CancellationToken ct = default) =>
        ListAsync($"SELECT {KeyColumns} FROM api_keys WHERE tenant_id = @t ORDER BY created_ms, id", ReadKey, ct, ("t", tenantId));

    public async Task<bool> RevokeKeyAsync(string tenantId, string keyId, DateTimeOffset at, CancellationToken ct = default)
    {
        await using var db = await OpenAsync(ct);
        return await ExecAsync(db, null,
            "UPDATE api_keys SET revoked_ms = @r WHERE id = @id AND tenant_id = @t AND revoked_ms IS NULL", ct,
            ("r", ToMs(at)), ("id", keyId), ("t", tenantId)) == 1;
    }

    public async Task<bool> SetKeyLimitsAsync(string tenantId, string keyId, KeyLimits limits, CancellationToken ct = default)
    {
        await using var db = await OpenAsync(ct);
        return await ExecAsync(db, null,
            "UPDATE api_keys SET rpm = @rpm, tpm = @tpm, max_concurrency = @mc WHERE id = @id AND tenant_id = @t", ct,
            ("rpm", (long)limits.RequestsPerMinute), ("tpm", (long)limits.TokensPerMinute),
            ("mc", (long)limits.MaxConcurrency), ("id", keyId), ("t", tenantId)) == 1;
    }

    public async Task AddPriceAsync(ModelPrice price, CancellationToken ct = default)
    {
        await using var db = await OpenAsync(ct);
        await ExecAsync(db, null,
            """
            INSERT INTO prices (model, effective_ms, input_nano, output_nano) VALUES (@m, @e, @i, @o)
            ON CONFLICT (model, effective_ms) DO UPDATE SET input_nano = excluded.input_nano, output_nano = excluded.output_nano
            """, ct,
            ("m", price.Model), ("e", ToMs(price.EffectiveFrom)), ("i", ToNano(price.InputPerMillion)),
            ("o", ToNano(price.OutputPerMillion)));
    }

    public Task<ModelPrice?> FindPriceAsync(string model, DateTimeOffset at, CancellationToken ct = default) =>
        FirstAsync(
            """
            SELECT model, input_nano, output_nano, effective_ms FROM prices
            WHERE model = @m AND effective_ms <= @at ORDER BY effective_ms DESC LIMIT 1
            """,
            r => new ModelPrice(r.GetString(0), FromNano(r.GetInt64(1)), FromNano(r.GetInt64(2)), FromMs(r.GetInt64(3))),
            ct, ("m", model), ("at", ToMs(at)));

    public async Task<bool> RecordUsageAsync(UsageRecord u, CancellationToken ct = default)
    {
        await using var db = await OpenAsync(ct);
        await using var tx = await db.BeginTransactionAsync(ct);
        int inserted = await ExecAsync(db, tx,
            $"""
            INSERT INTO usage ({UsageColumns}) VALUES (@id, @t, @k, @m, @p, @c, @ca, @cost, @lat, @f, @at)
            ON CONFLICT (tenant_id, request_id) DO NOTHING
            """, ct,
            ("id", u.RequestId), ("t", u.TenantId), ("k", u.KeyId), ("m", u.Model), ("p", u.PromptTokens),
            ("c", u.CompletionTokens), ("ca", u.CachedTokens), ("cost", ToNano(u.Cost)),
            ("lat", (long)u.Latency.TotalMilliseconds), ("f", u.FinishReason), ("at", ToMs(u.At)));
        if (inserted == 1)
            await ExecAsync(db, tx, "UPDATE tenants SET balance_nano = balance_nano - @cost WHERE id = @t", ct,
                ("cost", ToNano(u.Cost)), ("t", u.TenantId));
        await tx.CommitAsync(ct);
        return inserted == 1;
    }

    public Task<IReadOnlyList<UsageRecord>> ListUsageAsync(
        string tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default) =>
        ListAsync(
            $"SELECT {UsageColumns} FROM usage WHERE tenant_id = @t AND at_ms >= @f AND at_ms < @to ORDER BY at_ms, request_id",
            ReadUsage, ct, ("t", tenantId), ("f", ToMs(from)), ("to", ToMs(to)));

    public Task<UsageRecord?> FindUsageAsync(string tenantId, string requestId, CancellationToken ct = default) =>
        FirstAsync($"SELECT {UsageColumns} FROM usage WHERE tenant_id = @t AND request_id = @id", ReadUsage, ct,
            ("t", tenantId), ("id", requestId));

    private static UsageRecord ReadUsage(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
            FromNano(r.GetInt64(7)), TimeSpan.FromMilliseconds(r.GetInt64(8)), r.GetString(9), FromMs(r.GetInt64(10)));

    public Task<IReadOnlyList<UsageLine>> SummarizeUsageAsync(
        string tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default) =>
        ListAsync(
            """
            SELECT tenant_id, model, at_ms / 86400000, COUNT(*), CAST(SUM(prompt_tokens) AS BIGINT),
                   CAST(SUM(completion_tokens) AS BIGINT), CAST(SUM(cached_tokens) AS BIGINT), CAST(SUM(cost_nano) AS BIGINT)
            FROM usage WHERE tenant_id = @t AND at_ms >= @f AND at_ms < @to
            GROUP BY tenant_id, model, at_ms / 86400000 ORDER BY 3, 2
            """,
            r => new UsageLine(r.GetString(0), r.GetString(1), DateOnly.FromDayNumber(UnixEpochDay + (int)r.GetInt64(2)),
                r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), FromNano(r.GetInt64(7))),
            ct, ("t", tenantId), ("f", ToMs(from)), ("to", ToMs(to)));

    private static readonly int UnixEpochDay = new DateOnly(1970, 1, 1).DayNumber;

    private static Tenant ReadTenant(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), FromNano(r.GetInt64(2)), FromMs(r.GetInt64(3)));

    private static ApiKeyRecord ReadKey(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
            new KeyLimits((int)r.GetInt64(4), (int)r.GetInt64(5), (int)r.GetInt64(6)),
            FromMs(r.GetInt64(7)), r.IsDBNull(8) ? null : FromMs(r.GetInt64(8)));

    private async Task<T?> FirstAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken ct,
        params (string Name, object? Value)[] args) where T : class =>
        (await ListAsync(sql, read, ct, args)).FirstOrDefault();

    private async Task<IReadOnlyList<T>> ListAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken ct,
        params (string Name, object? Value)[] args)
    {
        await using var db = await OpenAsync(ct);
        await using var cmd = Command(db, null, sql, args);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
            rows.Add(read(reader));
        return rows;
    }

    private static async Task<int> ExecAsync(DbConnection db, DbTransaction? tx, string sql, CancellationToken ct,
        params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(db, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> ScalarAsync(DbConnection db, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = Command(db, tx, sql, []);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    private static DbCommand Command(DbConnection db, DbTransaction? tx, string sql, (string Name, object? Value)[] args)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }
}
