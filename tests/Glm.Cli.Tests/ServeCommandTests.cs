using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Glm.Cli.Tests;

/// <summary>
/// <c>glm serve</c> as a process: a registry with a tiny random model and one not trained yet, a key from
/// <c>glm keys create</c> against the same SQLite ledger, a billed chat request, and a clean exit on SIGTERM.
/// </summary>
public sealed partial class ServeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("glm-cli-serve-").FullName;
    private Process? _server;

    [GeneratedRegex(@"serving on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ServingOn();

    private string[] Platform => ["--db", "sqlite:" + Path.Combine(_dir, "platform.db"), "--pepper-file", Path.Combine(_dir, "pepper")];

    [Fact]
    public async Task Serve_reports_its_models_bills_a_keyed_request_and_stops_on_SIGTERM()
    {
        SyntheticGguf.WriteTiny(_dir, contextLength: 256);
        string config = Path.Combine(_dir, "serve.json");
        await File.WriteAllTextAsync(config, """
            { "models": {
                "glm-4": { "checkpoint": "tiny.gguf", "context_window": 256, "max_output_tokens": 64,
                           "price_per_million_input": 1000, "price_per_million_output": 1000 },
                "codegeex-4": { "checkpoint": "codegeex-4", "context_window": 256 } } }
            """);
        _server = GlmProcess.Start(["serve", "--config", config, "--urls", "http://127.0.0.1:0", "--threads", "1", .. Platform]);
        var output = new StringBuilder();
        var banner = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.OutputDataReceived += (_, e) =>
        {
            lock (output)
                output.AppendLine(e.Data);
            if (e.Data?.StartsWith("create a key:", StringComparison.Ordinal) == true)
                banner.TrySetResult(output.ToString());
        };
        _server.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        string started = await banner.Task.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Matches(@"codegeex-4 .*codegeex-4\s+\[MISSING", started);
        Assert.Matches(@"glm-4 .*tiny\.gguf\s+\[ready\]", started);
        var url = new Uri(ServingOn().Match(started).Groups[1].Value);

        var created = GlmProcess.Run(["keys", "create", "--tenant", "acme", "--balance", "2", "--json", .. Platform]);
        Assert.Equal(0, created.ExitCode);
        string apiKey = (string)JsonNode.Parse(created.Stdout)!["api_key"]!;

        using var http = new HttpClient { BaseAddress = url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await http.PostAsync("/api/paas/v4/chat/completions", new StringContent(
            """{"model":"glm-4","max_tokens":5,"do_sample":false,"messages":[{"role":"user","content":"Hello there"}]}""", Encoding.UTF8, "application/json"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(200, (int)response.StatusCode);
        long total = (long)body["usage"]!["total_tokens"]!;

        using var missing = await http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"codegeex-4","messages":[{"role":"user","content":"x"}]}""", Encoding.UTF8, "application/json"));
        Assert.Contains(Path.Combine(_dir, "codegeex-4"), await missing.Content.ReadAsStringAsync());

        var usage = JsonNode.Parse(GlmProcess.Run(["usage", "--tenant", "acme", "--json", .. Platform]).Stdout)!;
        var line = Assert.Single(usage["lines"]!.AsArray())!;
        Assert.Equal(1, (int)line["requests"]!);
        Assert.Equal(total, (long)line["prompt_tokens"]! + (long)line["completion_tokens"]!);
        Assert.Equal(2m - total * 1000m / 1_000_000m, (decimal)usage["balance"]!);

        using (var term = Process.Start("kill", ["-TERM", _server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await term.WaitForExitAsync();
        Assert.True(_server.WaitForExit(TimeSpan.FromSeconds(30)), "glm serve did not stop on SIGTERM");
        Assert.Equal(0, _server.ExitCode);
    }

    public void Dispose()
    {
        if (_server is { HasExited: false })
            _server.Kill(entireProcessTree: true);
        _server?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
