using Glm.Inference.Scheduling;
using Glm.Server.Tests.TestDoubles;

namespace Glm.Server.Tests.Api;

/// <summary>An engine whose slots and queue are full refuses with 1302 / HTTP 429 and a Retry-After, in each dialect.</summary>
public class BusyEngineTests
{
    [Theory]
    [InlineData("/api/paas/v4", false)]
    [InlineData("/api/paas/v4", true)]
    [InlineData("/v1", false)]
    [InlineData("/v1", true)]
    public async Task A_full_engine_is_429_1302_with_Retry_After_and_the_server_stays_healthy(string prefix, bool stream)
    {
        await using var server = await RunningServer.StartAsync();
        server.Chat.Refuse = new SchedulerBusyException(queued: 64, retryAfter: TimeSpan.FromSeconds(3));
        string body = $$"""{"model":"glm-4","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""";
        using var response = await server.Http.PostAsync(prefix + "/chat/completions",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(429, (int)response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        var error = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("1302", (string?)error["code"]);
        Assert.Contains("busy", (string?)error["message"]);

        server.Chat.Refuse = null;
        var (status, _) = await server.Http.PostJsonAsync(prefix + "/chat/completions", body.Replace("\"stream\":true", "\"stream\":false"));
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task An_async_task_refused_by_a_full_engine_fails_with_1302()
    {
        await using var server = await RunningServer.StartAsync();
        server.Chat.Refuse = new SchedulerBusyException(queued: 64, retryAfter: TimeSpan.FromSeconds(3));
        var (status, task) = await server.Http.PostJsonAsync("/api/paas/v4/async/chat/completions",
            """{"model":"glm-4","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(200, status);

        System.Text.Json.Nodes.JsonNode poll = task;
        for (int i = 0; i < 100 && (string?)poll["task_status"] == "PROCESSING"; i++, await Task.Delay(50))
            poll = (await server.Http.GetJsonAsync("/api/paas/v4/async-result/" + (string)task["id"]!)).Body;
        Assert.Equal("FAIL", (string?)poll["task_status"]);
        Assert.Equal("1302", (string?)poll["error"]!["code"]);
    }
}
