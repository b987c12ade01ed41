using System.CommandLine;
using Glm.Platform;

namespace Glm.Cli.Commands;

/// <summary>The options every platform command takes: where the ledger lives and where the key pepper is.</summary>
internal sealed class PlatformOptions
{
    public Option<string?> Db { get; } = new("--db") { Description = "sqlite:PATH or postgres:CONNECTION_STRING (default: sqlite:~/.glm/platform.db)" };

    public Option<string?> PepperFile { get; } = new("--pepper-file") { Description = $"Key pepper file (default: ${KeyPepper.Variable} if set, else ~/.glm/key-pepper, created when missing)" };

    public Option<bool> Json { get; } = new("--json") { Description = "Print JSON on stdout" };

    public IEnumerable<Option> All => [Db, PepperFile, Json];

    /// <summary>Opens the store and runs <paramref name="body"/> with the admin service over it.</summary>
    public async Task<int> RunAsync(ParseResult parse, Func<PlatformAdmin, Task<int>> body)
    {
        var store = await PlatformStores.OpenAsync(parse.GetValue(Db));
        try
        {
            return await body(new PlatformAdmin(store, KeyPepper.Load(parse.GetValue(PepperFile))));
        }
        finally
        {
            if (store is IAsyncDisposable disposable)
                await disposable.DisposeAsync();
        }
    }
}
