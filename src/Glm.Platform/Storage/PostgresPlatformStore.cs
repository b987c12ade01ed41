using System.Data.Common;
using Npgsql;

namespace Glm.Platform;

/// <summary>
/// The store in PostgreSQL, for several server nodes sharing one ledger. Owns a pooled data source; dispose it
/// when the process is done with the store.
/// </summary>
public sealed class PostgresPlatformStore : SqlPlatformStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;

    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=127.0.0.1;Port=5432;Username=glm;Database=glm</c>.</param>
    public PostgresPlatformStore(string connectionString) => _source = NpgsqlDataSource.Create(connectionString);

    // Any fixed 64-bit number: nodes starting together take turns to migrate.
    protected override string MigrationLockSql => "SELECT pg_advisory_xact_lock(7400411342)";

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct);

    protected override bool IsUniqueViolation(DbException error) =>
        error is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
