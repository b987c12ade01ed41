namespace Glm.Platform.Tests.Storage;

/// <summary>The platform contract on a SQLite file of its own.</summary>
public sealed class SqlitePlatformTests : PlatformContract
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"glm-platform-{Guid.NewGuid():N}.db");

    protected override Task<IPlatformStore?> CreateStoreAsync() => Task.FromResult<IPlatformStore?>(new SqlitePlatformStore(_path));

    protected override Task DeleteStoreAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (string file in new[] { _path, _path + "-wal", _path + "-shm" })
            File.Delete(file);
        return Task.CompletedTask;
    }
}
