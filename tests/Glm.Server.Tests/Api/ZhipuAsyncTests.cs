using System.Text.Json.Nodes;
using Glm.Server.Tests.TestDoubles;

namespace Glm.Server.Tests.Api;

public class ZhipuAsyncTests
{
    [Fact]
    public async Task An_async_completion_is_processing_then_succeeds_with_the_full_result()
    {
        await using var server = await RunningServer.StartAsync();
        server.Chat.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (status, task) = await server.Http.PostJsonAsync("/api/paas/v4/async/chat/completions",
            """{"model":"glm-4","request_id":"a1","messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(200, status);
        Assert.Equal("PROCESSING", (string?)task["task_status"]);
        Assert.Equal("a1", (string?)task["request_id"]);
        Assert.Equal("glm-4", (string?)task["model"]);
        string id = (string)task["id"]!;

        var (_, running) = await server.Http.GetJsonAsync($"/api/paas/v4/async-result/{id}");
        Assert.Equal("PROCESSING", (string?)running["task_status"]);
        Assert.Null(running["model"]);

        server.Chat.Gate.SetResult();
        JsonNode result = running;
        for (int i = 0; i < 100 && (string?)result["task_status"] == "PROCESSING"; i++)
        {
            await Task.Delay(50);
            (_, result) = await server.Http.GetJsonAsync($"/api/paas/v4/async-result/{id}");
        }
        Assert.Equal("SUCCESS", (string?)result["task_status"]);
        Assert.Equal(id, (string?)result["id"]);
        Assert.Equal("a1", (string?)result["request_id"]);
        Assert.Equal("Hello, world", (string?)result["choices"]![0]!["message"]!["content"]);
        Assert.Equal(2, (int)result["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task An_unknown_task_id_is_404_and_a_bad_submission_fails_at_once()
    {
        await using var server = await RunningServer.StartAsync();
        var (status, body) = await server.Http.GetJsonAsync("/api/paas/v4/async-result/nope");
        Assert.Equal(404, status);
        Assert.Equal("1214", (string?)body["error"]!["code"]);

        var (bad, error) = await server.Http.PostJsonAsync("/api/paas/v4/async/chat/completions",
            """{"model":"nope","messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(400, bad);
        Assert.Equal("1211", (string?)error["error"]!["code"]);
    }
}
