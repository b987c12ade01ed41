using Glm.Cli.Commands;
using Glm.Server.Tests.Engine;

namespace Glm.Server.Tests.Load;

/// <summary>
/// A small <c>glm bench serve</c> (8 streaming clients x 2 requests, 2 clients hanging up mid-stream) against the
/// metered CPU engine over a real socket: no errors, and every request billed exactly once, abandoned ones included.
/// </summary>
public sealed class BenchServeTests(MeteredServer server) : IClassFixture<MeteredServer>
{
    [Fact]
    public async Task Concurrent_streams_with_hang_ups_are_each_billed_exactly_once()
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 10m);
        using var http = ServeLoad.CreateClient(server.BaseAddress, key.OpenAiKey);
        var plan = new LoadPlan("glm-4", Clients: 8, RequestsPerClient: 2, MaxTokens: 16, DisconnectFraction: 0.25);
        var from = DateTimeOffset.UtcNow;

        var level = await ServeLoad.RunAsync(http, plan, "load-1");

        Assert.Equal(2, plan.Disconnecting);
        Assert.Equal(16, level.Requests.Count);
        Assert.Empty(level.Errors);
        Assert.All(level.Requests, r => Assert.True(r.Admitted));
        // The hanging-up clients (0 and 1) left every stream that had not ended by itself before their cut-off.
        var hangingUp = level.Requests.Where(r => r.RequestId.StartsWith("load-1-0-", StringComparison.Ordinal) || r.RequestId.StartsWith("load-1-1-", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, hangingUp.Count);
        Assert.All(hangingUp, r => Assert.True(r.Abandoned ? r.Tokens == plan.AbandonAfter : r.Tokens < plan.AbandonAfter, $"{r.RequestId}: {r.Tokens} tokens"));
        Assert.Equal(hangingUp.Count(r => r.Abandoned), level.Abandoned);
        Assert.All(level.Requests.Except(hangingUp), r => Assert.InRange(r.Tokens, 0, plan.MaxTokens));
        Assert.True(level.TokensPerSecond > 0);
        Assert.NotNull(level.FirstTokenPercentile(0.99));

        var audit = await ServeLoad.AuditAsync(server.Store, key.KeyId, 10m, from, level.Requests, TimeSpan.FromSeconds(30));
        Assert.True(audit.ExactlyOnce, audit.ToString());
        Assert.Equal(16, audit.Rows);

        // The same, read independently: one row per request id with the tokens the client saw, costs = debit.
        var rows = await server.UsageAsync(tenant);
        Assert.Equal(level.Requests.Select(r => r.RequestId).Order(), rows.Select(r => r.RequestId).Order());
        foreach (var request in level.Requests)
        {
            var row = rows.Single(r => r.RequestId == request.RequestId);
            // A hang-up is billed for what was generated until the server noticed it; a fast model may finish first.
            Assert.Contains(row.FinishReason, (string[])(request.Abandoned ? ["interrupted", "stop", "length"] : ["stop", "length"]));
            if (request.Abandoned)
                Assert.InRange(row.CompletionTokens, request.Tokens, plan.MaxTokens);
            else
                Assert.Equal(request.Tokens, row.CompletionTokens);
            Assert.Equal(MeteredServer.CostOf(row.PromptTokens, row.CompletionTokens), row.Cost);
        }
        Assert.Equal(10m - rows.Sum(r => r.Cost), await server.BalanceAsync(tenant));

        // Nothing is left running.
        string metrics = await http.GetStringAsync("/metrics");
        for (int i = 0; i < 50 && !metrics.Contains("glm_requests_running 0"); i++, await Task.Delay(100))
            metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("glm_requests_running 0", metrics);
    }

    [Fact]
    public async Task The_audit_fails_when_a_request_has_no_usage_row()
    {
        var (_, key) = await server.NewTenantAsync(balance: 1m);
        var neverSent = new LoadRequest("load-2-0-0", Admitted: true, Abandoned: false, ErrorCode: null, Tokens: 3, FirstToken: TimeSpan.FromMilliseconds(1));

        var audit = await ServeLoad.AuditAsync(server.Store, key.KeyId, 1m, DateTimeOffset.UtcNow, [neverSent], TimeSpan.Zero);

        Assert.False(audit.ExactlyOnce);
        Assert.Equal(1, audit.Missing);
    }
}
