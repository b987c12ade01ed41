using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Glm.Platform;

/// <summary>
/// The store in one SQLite file: nothing to install, one server node. Writers are serialised by SQLite
/// (transactions begin IMMEDIATE; a busy writer waits up to the command timeout). The file is kept in WAL mode,
/// so keep its -wal and -shm companions with it.
/// </summary>
public sealed class SqlitePlatformStore : SqlPlatformStore
{
    private readonly string _connectionString;

    /// <param name="path">The database file; created, with its tables, by <see cref="SqlPlatformStore.MigrateAsync"/>.</param>
    public SqlitePlatformStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    // Write-ahead logging: a commit is one append and one fsync of the log, not a rewrite of the journal and pages,
    // and readers never wait for the writer. The setting is stored in the file.
    protected override string SetupSql => "PRAGMA journal_mode = WAL";

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var db = new SqliteConnection(_connectionString);
        await db.OpenAsync(ct);
        return db;
    }

    // SQLITE_CONSTRAINT, extended code UNIQUE (2067) or PRIMARYKEY (1555).
    protected override bool IsUniqueViolation(DbException error) =>
        error is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 };
}
