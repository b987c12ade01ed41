using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Glm.Core;
using Glm.Platform;

namespace Glm.Cli.Commands;

/// <summary>
/// <c>glm bench serve</c>: a bounded load test of a running <c>glm serve</c>. After one warm-up request (a server loads
/// a model on its first request), at each concurrency level clients send
/// streaming chat requests (OpenAI dialect), a fraction of them hanging up mid-stream; it reports generated tokens/s,
/// requests/s, time to first token (p50/p99) and errors by code. With <c>--key</c>, it then checks through the
/// server's platform database (the same <c>--db</c>) that every admitted request has exactly one usage row and that
/// the rows' costs add up to the tenant's balance debit; a failed check is exit code 1.
/// </summary>
internal static class BenchServeCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The server's root address, e.g. http://127.0.0.1:8000", Required = true };
        var key = new Option<string?>("--key") { Description = "API key (id.secret or sk-id.secret); without one, the server must run with --no-auth and billing is not checked" };
        var model = new Option<string>("--model") { Description = "Model name as served", DefaultValueFactory = _ => "glm-4" };
        var clients = new Option<string>("--clients") { Description = "Concurrency levels, comma separated", DefaultValueFactory = _ => "1,8,32" };
        var requests = new Option<int>("--requests") { Description = "Requests each client sends, one after another", DefaultValueFactory = _ => 4 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "max_tokens of each request", DefaultValueFactory = _ => 32 };
        var disconnect = new Option<double>("--disconnect-fraction") { Description = "Fraction of clients that hang up after a quarter of max-tokens", DefaultValueFactory = _ => 0.25 };
        var platform = new PlatformOptions();

        var command = new Command("serve", "Load-test a running glm serve with concurrent streaming clients, then check its billing")
        {
            url, key, model, clients, requests, maxTokens, disconnect, platform.Db, platform.Json,
        };
        command.SetAction((parse, cancel) => CliRunner.Run(async () =>
        {
            int[] levels = ParseLevels(parse.GetValue(clients)!);
            int perClient = parse.GetValue(requests), tokens = parse.GetValue(maxTokens);
            double fraction = parse.GetValue(disconnect);
            if (perClient < 1 || tokens < 1 || fraction is < 0 or > 1)
                throw new GlmException("--requests and --max-tokens must be at least 1, --disconnect-fraction in [0, 1]");
            string? apiKey = parse.GetValue(key);
            using var http = ServeLoad.CreateClient(new Uri(parse.GetValue(url)!), apiKey);

            IPlatformStore? store = apiKey is null ? null : await PlatformStores.OpenAsync(parse.GetValue(platform.Db), cancel);
            try
            {
                string keyId = apiKey is null ? "" : ServeLoad.KeyIdOf(apiKey);
                string runId = "bench-" + DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                var results = new List<(LoadLevel Level, BillingAudit? Audit)>();
                // One request first, outside every level: the server loads a model on its first request.
                var warmUp = await ServeLoad.RunAsync(http, new LoadPlan(parse.GetValue(model)!, 1, 1, 1, 0), runId + "-warm-up", cancel);
                if (warmUp.Errors.Count > 0)
                    throw new GlmException($"the warm-up request failed: {string.Join(", ", warmUp.Errors.Keys)}");
                foreach (int level in levels)
                {
                    var plan = new LoadPlan(parse.GetValue(model)!, level, perClient, tokens, fraction);
                    var from = DateTimeOffset.UtcNow;
                    decimal? before = store is null ? null : await BalanceAsync(store, keyId, cancel);
                    var result = await ServeLoad.RunAsync(http, plan, $"{runId}-{results.Count}", cancel);
                    var audit = store is null ? null : await ServeLoad.AuditAsync(store, keyId, before!.Value, from, result.Requests, TimeSpan.FromSeconds(30), cancel);
                    results.Add((result, audit));
                }
                Console.WriteLine(parse.GetValue(platform.Json) ? ToJson(results).ToJsonString() : ToTable(results));
                return results.All(r => r.Audit?.ExactlyOnce != false) ? 0 : 1;
            }
            finally
            {
                if (store is IAsyncDisposable disposable)
                    await disposable.DisposeAsync();
            }
        }));
        return command;
    }

    private static int[] ParseLevels(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var levels = parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0).ToArray();
        return levels.Length > 0 && levels.All(n => n is >= 1 and <= 1024) ? levels
            : throw new GlmException($"--clients '{text}' is not a comma-separated list of numbers from 1 to 1024");
    }

    private static async Task<decimal> BalanceAsync(IPlatformStore store, string keyId, CancellationToken cancel)
    {
        var record = await store.FindKeyAsync(keyId, cancel) ?? throw new GlmException($"key {keyId} is not in this platform database (pass the server's --db)");
        return (await store.FindTenantAsync(record.TenantId, cancel))!.Balance;
    }

    private static string Ms(TimeSpan? t) => t is { } v ? v.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) : "-";

    private static string ToTable(List<(LoadLevel Level, BillingAudit? Audit)> results)
    {
        var s = new StringBuilder();
        var plan = results[0].Level.Plan;
        s.AppendLine(Inv($"{plan.Model}: {plan.RequestsPerClient} streaming requests per client (each its own prompt), max_tokens {plan.MaxTokens}, {plan.DisconnectFraction:P0} of clients hang up after {plan.AbandonAfter} tokens"));
        s.AppendLine(Inv($"{"clients",7} {"requests",8} {"abandoned",9} {"tokens",7} {"tok/s",8} {"req/s",7} {"ttft p50",9} {"ttft p99",9}  errors / billing"));
        foreach (var (level, audit) in results)
        {
            string errors = level.Errors.Count == 0 ? "no errors" : string.Join(", ", level.Errors.Select(e => $"{e.Key}: {e.Value}"));
            string billing = audit is null ? "" : audit.ExactlyOnce
                ? Inv($"; billed once: {audit.Rows} rows, cost {audit.Cost} = debit")
                : Inv($"; BILLING MISMATCH: {audit.Missing} admitted without a row, {audit.Unexpected} unexpected rows, cost {audit.Cost} vs debit {audit.Debit}");
            s.AppendLine(Inv($"{level.Plan.Clients,7} {level.Requests.Count,8} {level.Abandoned,9} {level.Tokens,7} {level.TokensPerSecond,8:0.0} {level.RequestsPerSecond,7:0.00} {Ms(level.FirstTokenPercentile(0.5)),7}ms {Ms(level.FirstTokenPercentile(0.99)),7}ms  {errors}{billing}"));
        }
        return s.ToString().TrimEnd();
    }

    private static JsonObject ToJson(List<(LoadLevel Level, BillingAudit? Audit)> results) => new()
    {
        ["levels"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
        {
            ["clients"] = r.Level.Plan.Clients,
            ["requests"] = r.Level.Requests.Count,
            ["abandoned"] = r.Level.Abandoned,
            ["tokens"] = r.Level.Tokens,
            ["seconds"] = r.Level.Elapsed.TotalSeconds,
            ["tokens_per_second"] = r.Level.TokensPerSecond,
            ["requests_per_second"] = r.Level.RequestsPerSecond,
            ["ttft_p50_ms"] = r.Level.FirstTokenPercentile(0.5)?.TotalMilliseconds,
            ["ttft_p99_ms"] = r.Level.FirstTokenPercentile(0.99)?.TotalMilliseconds,
            ["errors"] = new JsonObject(r.Level.Errors.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value))),
            ["billing"] = r.Audit is not { } a ? null : new JsonObject
            {
                ["exactly_once"] = a.ExactlyOnce, ["admitted"] = a.Admitted, ["rows"] = a.Rows, ["missing"] = a.Missing,
                ["unexpected"] = a.Unexpected, ["cost"] = a.Cost, ["debit"] = a.Debit,
            },
        }).ToArray()),
    };

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
