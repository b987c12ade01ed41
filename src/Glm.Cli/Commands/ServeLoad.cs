using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Glm.Core;
using Glm.Platform;

namespace Glm.Cli.Commands;

/// <summary>
/// One concurrency level of <c>glm bench serve</c>: <see cref="Clients"/> clients, each sending
/// <see cref="RequestsPerClient"/> streaming chat requests one after another; the first <see cref="Disconnecting"/>
/// clients hang up on each of their streams after <see cref="AbandonAfter"/> tokens.
/// </summary>
internal sealed record LoadPlan(string Model, int Clients, int RequestsPerClient, int MaxTokens, double DisconnectFraction)
{
    public const string Prompt = "Tell me a story about the quick brown fox and the lazy dog.";

    /// <summary>
    /// The prompt of request <paramref name="n"/> of <paramref name="client"/>: <see cref="Prompt"/>, then a request of
    /// its own, so a server may reuse the shared part but computes the rest for every request.
    /// </summary>
    public string PromptFor(int client, int n) => $"{Prompt} Make it story number {client * RequestsPerClient + n + 1}.";

    public int Disconnecting => (int)Math.Round(Clients * DisconnectFraction, MidpointRounding.AwayFromZero);

    public int AbandonAfter => Math.Max(1, MaxTokens / 4);
}

/// <summary>What one request did. <see cref="Admitted"/>: the server answered 200, so it must bill the request once.
/// <see cref="Tokens"/>: the usage the server reported, or the content chunks read before hanging up.</summary>
internal sealed record LoadRequest(string RequestId, bool Admitted, bool Abandoned, string? ErrorCode, long Tokens, TimeSpan? FirstToken);

/// <summary>The outcome of one <see cref="LoadPlan"/>: throughput, time to first token and errors by code.</summary>
internal sealed record LoadLevel(LoadPlan Plan, IReadOnlyList<LoadRequest> Requests, TimeSpan Elapsed)
{
    /// <summary>Generated tokens, abandoned streams' included.</summary>
    public long Tokens => Requests.Sum(r => r.Tokens);

    public double TokensPerSecond => Tokens / Elapsed.TotalSeconds;

    /// <summary>Requests that ended without an error (finished, or abandoned by design) per second.</summary>
    public double RequestsPerSecond => Requests.Count(r => r.ErrorCode is null) / Elapsed.TotalSeconds;

    public int Abandoned => Requests.Count(r => r.Abandoned);

    /// <summary>Error count per code: the server's (e.g. "1302"), "http_NNN" without one, "transport", "truncated".</summary>
    public IReadOnlyDictionary<string, int> Errors =>
        Requests.Where(r => r.ErrorCode is not null).GroupBy(r => r.ErrorCode!).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Nearest-rank percentile (0..1] of time to first token over the requests that got one; null if none did.</summary>
    public TimeSpan? FirstTokenPercentile(double p)
    {
        var sorted = Requests.Where(r => r.FirstToken is not null).Select(r => r.FirstToken!.Value).Order().ToList();
        return sorted.Count == 0 ? null : sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }
}

/// <summary>Whether the ledger billed a load run exactly once: one usage row per admitted request, none for refused
/// ones or anything else in the run's window, and the balance debited by exactly the rows' costs.</summary>
internal sealed record BillingAudit(int Admitted, int Rows, int Missing, int Unexpected, decimal Cost, decimal Debit)
{
    public bool ExactlyOnce => Missing == 0 && Unexpected == 0 && Cost == Debit;
}

/// <summary>
/// The client side of <c>glm bench serve</c>: streaming chat completions in OpenAI's dialect over
/// <see cref="HttpClient"/> (SSE parsed line by line, usage from <c>stream_options.include_usage</c>), and the billing
/// audit against the server's platform store. The <see cref="HttpClient"/> (from <see cref="CreateClient"/>) carries
/// the base address and the key.
/// </summary>
internal static class ServeLoad
{
    private const string ChatPath = "/v1/chat/completions";

    /// <summary>
    /// A client for load runs whose hang-ups are real: disposing a response mid-body closes its connection at once.
    /// By default the handler first drains up to 1 MB or 2 s of the body to reuse the connection, and meanwhile the
    /// server, still being read, goes on generating: every hang-up held its slot for 2 s (8 clients all hanging up:
    /// time to first token p50 2.1 s).
    /// </summary>
    public static HttpClient CreateClient(Uri baseAddress, string? apiKey)
    {
        var handler = new SocketsHttpHandler { MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero };
        var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(10) };
        if (apiKey is not null)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return http;
    }

    /// <summary>Runs <paramref name="plan"/>; request ids are <c>{runId}-{client}-{n}</c>, so each run needs its own <paramref name="runId"/>.</summary>
    public static async Task<LoadLevel> RunAsync(HttpClient http, LoadPlan plan, string runId, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, plan.Clients).Select(async c =>
        {
            var done = new List<LoadRequest>();
            for (int n = 0; n < plan.RequestsPerClient; n++)
                done.Add(await SendAsync(http, plan, $"{runId}-{c}-{n}", plan.PromptFor(c, n),
                    hangUp: c < plan.Disconnecting, cancellationToken));
            return done;
        }).ToList();
        var requests = (await Task.WhenAll(clients)).SelectMany(r => r).ToList();
        return new LoadLevel(plan, requests, clock.Elapsed);
    }

    private static async Task<LoadRequest> SendAsync(HttpClient http, LoadPlan plan, string id, string prompt, bool hangUp,
        CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = plan.Model, ["stream"] = true, ["stream_options"] = new JsonObject { ["include_usage"] = true },
            ["max_tokens"] = plan.MaxTokens, ["request_id"] = id,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
        };
        var clock = Stopwatch.StartNew();
        bool admitted = false;
        long chunks = 0;
        TimeSpan? first = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, ChatPath) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                string? code = TryParse(await response.Content.ReadAsStringAsync(cancellationToken))?["error"]?["code"]?.ToString();
                return new LoadRequest(id, false, false, code ?? $"http_{(int)response.StatusCode}", 0, null);
            }
            admitted = true;
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            long? usage = null;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                    continue;
                if (line == "data: [DONE]")
                    return new LoadRequest(id, true, false, null, usage ?? chunks, first);
                var chunk = TryParse(line["data: ".Length..]);
                if (chunk?["error"] is { } error)
                    return new LoadRequest(id, true, false, error["code"]?.ToString() ?? "stream_error", usage ?? chunks, first);
                if (chunk?["usage"]?["completion_tokens"] is { } tokens)
                    usage = (long)tokens;
                if (chunk?["choices"] is JsonArray { Count: > 0 } choices && choices[0]?["delta"]?["content"]?.ToString() is { Length: > 0 })
                {
                    first ??= clock.Elapsed;
                    // Leaving the using blocks closes the connection mid-body: the server sees the client go.
                    if (++chunks >= plan.AbandonAfter && hangUp)
                        return new LoadRequest(id, true, true, null, chunks, first);
                }
            }
            return new LoadRequest(id, true, false, "truncated", usage ?? chunks, first);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return new LoadRequest(id, admitted, false, "transport", chunks, first);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new LoadRequest(id, admitted, false, "timeout", chunks, first);
        }
    }

    private static JsonNode? TryParse(string json)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Checks the ledger after a run of the tenant of <paramref name="keyId"/>, whose balance was
    /// <paramref name="balanceBefore"/> at <paramref name="from"/>. Abandoned streams are billed when the server notices
    /// the hang-up, so this waits up to <paramref name="settle"/> for their rows. Assumes nothing else used the
    /// tenant meanwhile (anything else shows up as unexpected rows).
    /// </summary>
    public static async Task<BillingAudit> AuditAsync(IPlatformStore store, string keyId, decimal balanceBefore, DateTimeOffset from,
        IReadOnlyList<LoadRequest> requests, TimeSpan settle, CancellationToken cancellationToken = default)
    {
        string tenant = (await store.FindKeyAsync(keyId, cancellationToken) ?? throw new GlmException($"key {keyId} is not in this platform database (pass the server's --db)")).TenantId;
        var admitted = requests.Where(r => r.Admitted).Select(r => r.RequestId).ToHashSet(StringComparer.Ordinal);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var rows = await store.ListUsageAsync(tenant, from, DateTimeOffset.UtcNow.AddMinutes(1), cancellationToken);
            decimal balance = (await store.FindTenantAsync(tenant, cancellationToken))!.Balance;
            var billed = rows.Select(r => r.RequestId).ToHashSet(StringComparer.Ordinal);
            var audit = new BillingAudit(admitted.Count, rows.Count, admitted.Count(id => !billed.Contains(id)),
                rows.Count(r => !admitted.Contains(r.RequestId)) + rows.Count - billed.Count, rows.Sum(r => r.Cost), balanceBefore - balance);
            if (audit.ExactlyOnce || deadline.Elapsed >= settle)
                return audit;
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The key id of a raw key, <c>id.secret</c> or <c>sk-id.secret</c>.</summary>
    public static string KeyIdOf(string key)
    {
        string raw = key.StartsWith("sk-", StringComparison.Ordinal) ? key[3..] : key;
        int dot = raw.IndexOf('.');
        return dot > 0 ? raw[..dot] : throw new GlmException("--key is not 'id.secret' or 'sk-id.secret'");
    }
}
