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
}
