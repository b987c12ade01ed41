using Npgsql;

namespace Glm.Platform.Tests.Storage;

/// <summary>
/// The platform contract on PostgreSQL, each test in a schema of its own. The server comes from the connection
/// string in GLM_TEST_POSTGRES (.ci/run starts a throwaway one). Without it the tests fail when CI=true and are
/// skipped otherwise, so a machine without PostgreSQL can still run the rest.
/// </summary>
public sealed class PostgresPlatformTests : PlatformContract
{
    private const string Variable = "GLM_TEST_POSTGRES";

    private readonly string _schema = $"glm_test_{Guid.NewGuid():N}";
    private string? _connectionString;
    private PostgresPlatformStore? _store;

    protected override string UnavailableReason => $"{Variable} is not set (and CI is not 'true')";

    protected override async Task<IPlatformStore?> CreateStoreAsync()
    {
        _connectionString = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(_connectionString))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"CI=true but {Variable} is not set: CI must run the PostgreSQL suite.");
            return null;
        }
        await ExecuteAsync($"CREATE SCHEMA {_schema}");
        _store = new PostgresPlatformStore(new NpgsqlConnectionStringBuilder(_connectionString) { SearchPath = _schema }.ToString());
        return _store;
    }

    protected override async Task DeleteStoreAsync()
    {
        await _store!.DisposeAsync();
        await ExecuteAsync($"DROP SCHEMA {_schema} CASCADE");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var db = new NpgsqlConnection(_connectionString);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, db);
        await cmd.ExecuteNonQueryAsync();
    }
}
