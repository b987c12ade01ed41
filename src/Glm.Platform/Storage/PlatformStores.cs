using Glm.Core;

namespace Glm.Platform;

/// <summary>Opens a store from the one-string form front ends take: <c>sqlite:PATH</c> or <c>postgres:CONNECTION</c>.</summary>
public static class PlatformStores
{
    /// <summary>The default: a SQLite file in <c>~/.glm</c>.</summary>
    public static string DefaultSpec =>
        "sqlite:" + Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".glm", "platform.db");

    /// <summary>
    /// Opens and migrates the store. The caller owns the result; dispose it when it is an
    /// <see cref="IAsyncDisposable"/> (the PostgreSQL store holds a connection pool).
    /// </summary>
    public static async Task<IPlatformStore> OpenAsync(string? spec, CancellationToken ct = default)
    {
        spec ??= DefaultSpec;
        IPlatformStore store;
        if (spec.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            string path = spec["sqlite:".Length..];
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir)
                Directory.CreateDirectory(dir);
            store = new SqlitePlatformStore(path);
        }
        else if (spec.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase))
            store = new PostgresPlatformStore(spec["postgres:".Length..]);
        else
            throw new GlmException($"Database '{spec}' must be 'sqlite:PATH' or 'postgres:CONNECTION_STRING'.");
        await store.MigrateAsync(ct);
        return store;
    }
}
