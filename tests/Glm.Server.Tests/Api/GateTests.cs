using Glm.Server.Gate;
using Glm.Server.Serving;
using Glm.Server.Tests.TestDoubles;
using Microsoft.AspNetCore.Http;

namespace Glm.Server.Tests.Api;

public class GateTests
{
    /// <summary>Lets through requests with "Authorization: Bearer good.key", naming the caller "good".</summary>
    private sealed class KeyGate : IRequestGate
    {
        public ValueTask<GateDecision> CheckAsync(HttpContext context, ApiDialect dialect) => ValueTask.FromResult(
            context.Request.Headers.Authorization.ToString() == "Bearer good.key"
                ? GateDecision.Allow("good")
                : GateDecision.Deny(new ApiException(401, "1001", "auth header not received")));
    }

    [Fact]
    public async Task The_gate_refuses_in_each_dialect_and_names_the_caller_to_the_model()
    {
        await using var server = await RunningServer.StartAsync(gate: new KeyGate());
        const string body = """{"model":"glm-4","messages":[{"role":"user","content":"x"}]}""";

        var (zhipuStatus, zhipu) = await server.Http.PostJsonAsync("/api/paas/v4/chat/completions", body);
        Assert.Equal(401, zhipuStatus);
        Assert.Equal("1001", (string?)zhipu["error"]!["code"]);

        var (openAiStatus, openAi) = await server.Http.PostJsonAsync("/v1/chat/completions", body);
        Assert.Equal(401, openAiStatus);
        Assert.Equal("authentication_error", (string?)openAi["error"]!["type"]);
        Assert.Equal("1001", (string?)openAi["error"]!["code"]);

        Assert.Equal(200, (int)(await server.Http.GetAsync("/health")).StatusCode);

        server.Http.DefaultRequestHeaders.Authorization = new("Bearer", "good.key");
        var (ok, _) = await server.Http.PostJsonAsync("/api/paas/v4/chat/completions", body);
        Assert.Equal(200, ok);
        Assert.Equal("good", server.Chat.LastOptions!.AdditionalProperties!["caller"]);
    }

    /// <summary>Admits everyone and holds one "slot" per admitted POST, as a concurrency limit does.</summary>
    private sealed class SlotGate : IRequestGate
    {
        private int _held;

        public int Held => Volatile.Read(ref _held);

        public ValueTask<GateDecision> CheckAsync(HttpContext context, ApiDialect dialect)
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                Interlocked.Increment(ref _held);
                AdmissionHold.Hold(context, new Slot(this));
            }
            return ValueTask.FromResult(GateDecision.Allow("anyone"));
        }

        private sealed class Slot(SlotGate gate) : IDisposable
        {
            public void Dispose() => Interlocked.Decrement(ref gate._held);
        }
    }

    [Fact]
    public async Task An_async_task_keeps_its_admission_until_it_ends_and_a_plain_request_until_its_response_ends()
    {
        var gate = new SlotGate();
        await using var server = await RunningServer.StartAsync(gate: gate);
        const string body = """{"model":"glm-4","messages":[{"role":"user","content":"x"}]}""";

        Assert.Equal(200, (await server.Http.PostJsonAsync("/api/paas/v4/chat/completions", body)).Status);
        for (int i = 0; i < 100 && gate.Held > 0; i++) await Task.Delay(50); // released as the response ends
        Assert.Equal(0, gate.Held);

        server.Chat.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (status, task) = await server.Http.PostJsonAsync("/api/paas/v4/async/chat/completions", body);
        Assert.Equal(200, status);
        await Task.Delay(500);
        Assert.Equal(1, gate.Held); // the response has ended long since; the task still runs

        server.Chat.Gate.SetResult();
        string id = (string)task["id"]!;
        for (int i = 0; i < 100 && gate.Held > 0; i++) await Task.Delay(50);
        Assert.Equal(0, gate.Held);
        var (_, done) = await server.Http.GetJsonAsync("/api/paas/v4/async-result/" + id);
        Assert.Equal("SUCCESS", (string?)done["task_status"]);
    }
}
