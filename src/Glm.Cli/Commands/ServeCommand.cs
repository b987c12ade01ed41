using System.CommandLine;
using Glm.Core;
using Glm.Platform;
using Glm.Server;
using Glm.Server.Billing;
using Glm.Server.Engine;
using Glm.Server.Gate;
using Glm.Server.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Glm.Cli.Commands;

/// <summary>
/// <c>glm serve</c>: the metered Zhipu (<c>/api/paas/v4</c>) and OpenAI (<c>/v1</c>) API over the CPU engine. The
/// registry (default <c>models/serve.json</c> from the current folder) names the models; each loads on its first
/// request, so a model that is still missing is reported at startup and refused (503) until its checkpoint exists.
/// Requests need a key from <c>glm keys create</c> against the same database and key pepper, and every request is
/// billed once; <c>--no-auth</c> serves anyone, unbilled, for local use. Stops cleanly on Ctrl+C or SIGTERM.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The registry served when <c>--config</c> is not given, relative to the current folder.</summary>
    public const string DefaultConfig = "models/serve.json";

    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = $"Model registry JSON (default: {DefaultConfig})", DefaultValueFactory = _ => DefaultConfig };
        var urls = new Option<string>("--urls") { Description = "Address to listen on; port 0 picks a free port", DefaultValueFactory = _ => "http://127.0.0.1:8000" };
        var noAuth = new Option<bool>("--no-auth") { Description = "Serve anyone without a key and bill nothing (local use only)" };
        var threads = new Option<int>("--threads") { Description = "Worker threads per model (0 = all cores)", DefaultValueFactory = _ => 0 };
        var platform = new PlatformOptions();

        var command = new Command("serve", "Serve models over HTTP: Zhipu /api/paas/v4 and OpenAI /v1, metered per API key")
        {
            config, urls, noAuth, threads, platform.Db, platform.PepperFile,
        };
        command.SetAction((parse, cancel) => CliRunner.Run(async () =>
        {
            string configPath = parse.GetValue(config)!;
            if (!File.Exists(configPath))
                throw new GlmException($"{configPath}: model registry file not found (pass --config FILE; see {DefaultConfig} in the repository)");
            var registry = ModelRegistry.Load(configPath);
            bool open = parse.GetValue(noAuth);

            IPlatformStore? store = null;
            try
            {
                IRequestGate gate = new AllowAllGate();
                var limiter = new KeyRateLimiter();
                if (!open)
                {
                    store = await PlatformStores.OpenAsync(parse.GetValue(platform.Db), cancel);
                    var secrets = KeyPepper.Load(parse.GetValue(platform.PepperFile));
                    var priced = await PriceBookSync.ApplyAsync(registry, store, new PlatformAdmin(store, secrets), cancel);
                    if (priced.Count > 0)
                        Console.WriteLine($"prices set from the registry: {string.Join(", ", priced)}");
                    gate = new PlatformGate(new ApiKeyAuthenticator(store, secrets), new UsageLedger(store), limiter);
                }
                await using var app = GlmServer.Build(new GlmServerOptions
                {
                    Registry = registry,
                    Backends = EngineBackends.Create(parse.GetValue(threads), store, limiter),
                    Urls = parse.GetValue(urls)!,
                    Gate = gate,
                });
                await app.StartAsync(cancel);
                PrintBanner(app, registry, open, string.Concat(Flag("--db", parse.GetValue(platform.Db)), Flag("--pepper-file", parse.GetValue(platform.PepperFile))));
                await app.WaitForShutdownAsync(cancel);
                return 0;
            }
            finally
            {
                if (store is IAsyncDisposable disposable)
                    await disposable.DisposeAsync();
            }
        }));
        return command;
    }

    private static string Flag(string name, string? value) => value is null ? "" : $" {name} {value}";

    private static void PrintBanner(WebApplication app, ModelRegistry registry, bool open, string platformFlags)
    {
        string url = app.Urls.First();
        Console.WriteLine($"serving on {url}  (Zhipu {url}/api/paas/v4, OpenAI {url}/v1, reference {url}/scalar)");
        foreach (var entry in registry.Entries)
        {
            string state = EngineBackends.IsPresent(entry) ? "ready" : "MISSING, refused until it exists";
            Console.WriteLine($"  {entry.Name,-14} {entry.Checkpoint}  [{state}]  {entry.Pricing.InputPerMillion}/{entry.Pricing.OutputPerMillion} per 1M tokens in/out");
        }
        if (open)
            Console.WriteLine("--no-auth: anyone who can reach this address is served, and nothing is billed");
        else
            Console.WriteLine($"create a key: glm keys create --tenant NAME --balance 10{platformFlags}");
        Console.Out.Flush();
    }
}
