using System.ClientModel;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Glm.Inference.Chat;
using Glm.Platform;
using Glm.Server.Tests.Api;
using OpenAI;
using OpenAI.Chat;

namespace Glm.Server.Tests.Engine;

/// <summary>The CPU engine served over a real socket, authenticated and billed through the platform.</summary>
public sealed class MeteredEngineTests(MeteredServer server) : IClassFixture<MeteredServer>
{
    private const string Chat = "/api/paas/v4/chat/completions";

    private ChatClient OpenAi(string key) =>
        new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") }).GetChatClient("glm-4");

    private int PromptTokens(string user) =>
        ChatRequestMapping.RenderPrompt(server.Tokenizer, [new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, user)]).Length;

    [Fact]
    public async Task The_OpenAI_SDK_chats_and_streams_and_each_request_is_billed_once()
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 10m);
        var chat = OpenAi(key.OpenAiKey);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Hello there")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 6 });
        Assert.Equal("glm-4", completion.Model);
        Assert.Equal(PromptTokens("Hello there"), completion.Usage.InputTokenCount);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 6);

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("The quick brown fox")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 5 }))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            usage ??= update.Usage;
        }
        Assert.NotNull(usage);
        Assert.Equal(PromptTokens("The quick brown fox"), usage.InputTokenCount);

        var rows = await server.UsageAsync(tenant);
        Assert.Equal(2, rows.Count);
        Assert.Equal(completion.Id, "chatcmpl-" + rows[0].RequestId);
        Assert.Equal([(long)completion.Usage.InputTokenCount, usage.InputTokenCount], rows.Select(r => r.PromptTokens));
        Assert.Equal([(long)completion.Usage.OutputTokenCount, usage.OutputTokenCount], rows.Select(r => r.CompletionTokens));
        Assert.All(rows, r => Assert.Equal(MeteredServer.CostOf(r.PromptTokens, r.CompletionTokens), r.Cost));
        Assert.All(rows, r => Assert.Equal("glm-4", r.Model));
        Assert.Equal(10m - rows.Sum(r => r.Cost), await server.BalanceAsync(tenant));
    }

    [Fact]
    public async Task A_Zhipu_request_signed_as_a_JWT_is_served_and_billed_under_its_request_id()
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 1m);
        using var http = server.Http(Jwt(key, DateTimeOffset.UtcNow.AddMinutes(5)));
        var (status, body) = await http.PostJsonAsync(Chat,
            """{"model":"glm-4","request_id":"zp-jwt-1","do_sample":false,"max_tokens":4,"messages":[{"role":"user","content":"Hello"}]}""");

        Assert.Equal(200, status);
        Assert.Equal("zp-jwt-1", (string?)body["request_id"]);
        var row = Assert.Single(await server.UsageAsync(tenant));
        Assert.Equal("zp-jwt-1", row.RequestId);
        Assert.Equal((long)body["usage"]!["prompt_tokens"]!, row.PromptTokens);
        Assert.Equal((long)body["usage"]!["completion_tokens"]!, row.CompletionTokens);
        Assert.Equal(1m - row.Cost, await server.BalanceAsync(tenant));

        // The same request id again would not be billed, so it is refused before it runs.
        var (again, error) = await http.PostJsonAsync(Chat,
            """{"model":"glm-4","request_id":"zp-jwt-1","max_tokens":4,"messages":[{"role":"user","content":"Hello"}]}""");
        Assert.Equal(400, again);
        Assert.Equal("1231", (string?)error["error"]!["code"]);
        // A stream is refused the same way, before its 200 and its first event.
        var (streamed, streamError) = await http.PostJsonAsync(Chat,
            """{"model":"glm-4","request_id":"zp-jwt-1","stream":true,"messages":[{"role":"user","content":"Hello"}]}""");
        Assert.Equal(400, streamed);
        Assert.Equal("1231", (string?)streamError["error"]!["code"]);
        Assert.Single(await server.UsageAsync(tenant));
    }

    [Fact]
    public async Task Tenants_neither_see_nor_collide_with_each_others_request_ids_and_async_results()
    {
        var (alice, aliceKey) = await server.NewTenantAsync(balance: 1m);
        var (bob, bobKey) = await server.NewTenantAsync(balance: 1m);
        using var asAlice = server.Http(aliceKey.ZhipuKey);
        using var asBob = server.Http(bobKey.ZhipuKey);
        const string Request = """{"model":"glm-4","request_id":"shared-id","do_sample":false,"max_tokens":4,"messages":[{"role":"user","content":"Hello"}]}""";

        // The same request id from two tenants: each is served and billed to its own tenant.
        Assert.Equal(200, (await asAlice.PostJsonAsync(Chat, Request)).Status);
        Assert.Equal(200, (await asBob.PostJsonAsync(Chat, Request)).Status);
        var aliceRow = Assert.Single(await server.UsageAsync(alice));
        var bobRow = Assert.Single(await server.UsageAsync(bob));
        Assert.Equal(("shared-id", "shared-id"), (aliceRow.RequestId, bobRow.RequestId));
        Assert.Equal(1m - bobRow.Cost, await server.BalanceAsync(bob));

        // An async task is found by its owner only; to anyone else it does not exist.
        var (_, task) = await asAlice.PostJsonAsync("/api/paas/v4/async/chat/completions",
            """{"model":"glm-4","do_sample":false,"max_tokens":4,"messages":[{"role":"user","content":"Hi"}]}""");
        string id = (string)task["id"]!;
        var (bobStatus, bobPoll) = await asBob.GetJsonAsync("/api/paas/v4/async-result/" + id);
        Assert.Equal(404, bobStatus);
        Assert.Equal("1214", (string?)bobPoll["error"]!["code"]);
        JsonNode poll = task;
        for (int i = 0; i < 100 && (string?)poll["task_status"] == "PROCESSING"; i++, await Task.Delay(100))
            poll = (await asAlice.GetJsonAsync("/api/paas/v4/async-result/" + id)).Body;
        Assert.Equal("SUCCESS", (string?)poll["task_status"]);
    }

    [Fact]
    public async Task A_bad_key_is_401_in_each_dialect()
    {
        var (_, key) = await server.NewTenantAsync(balance: 1m);
        using var http = server.Http(key.KeyId + ".not-the-secret");
        const string body = """{"model":"glm-4","messages":[{"role":"user","content":"Hello"}]}""";

        var (zhipuStatus, zhipu) = await http.PostJsonAsync(Chat, body);
        Assert.Equal(401, zhipuStatus);
        Assert.Equal("1002", (string?)zhipu["error"]!["code"]);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => OpenAi("sk-" + key.KeyId + ".wrong").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, error.Status);
        var (_, openAi) = await http.PostJsonAsync("/v1/chat/completions", body);
        Assert.Equal("authentication_error", (string?)openAi["error"]!["type"]);
    }

    [Fact]
    public async Task An_out_of_balance_tenant_gets_1113_and_nothing_runs()
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 0m);
        using var http = server.Http(key.ZhipuKey);
        var (status, body) = await http.PostJsonAsync(Chat, """{"model":"glm-4","messages":[{"role":"user","content":"Hello"}]}""");

        Assert.Equal(429, status);
        Assert.Equal("1113", (string?)body["error"]!["code"]);
        Assert.Empty(await server.UsageAsync(tenant));
    }

    [Fact]
    public async Task Past_the_key_rate_limit_is_429_with_Retry_After()
    {
        var (_, key) = await server.NewTenantAsync(balance: 1m, new KeyLimits(RequestsPerMinute: 1));
        using var http = server.Http(key.ZhipuKey);
        const string body = """{"model":"glm-4","max_tokens":2,"messages":[{"role":"user","content":"Hello"}]}""";
        Assert.Equal(200, (await http.PostJsonAsync(Chat, body)).Status);

        using var refused = await http.PostAsync(Chat, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(429, (int)refused.StatusCode);
        Assert.Equal("1303", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["code"]);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
    }

    [Fact]
    public async Task A_models_own_rate_limit_applies_per_key_and_leaves_other_models_and_keys_alone()
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 1m);
        var (_, otherKey) = await server.NewTenantAsync(balance: 1m);
        using var http = server.Http(key.ZhipuKey);
        const string Air = """{"model":"glm-4-air","messages":[{"role":"user","content":"Hello"}]}""";

        Assert.Equal(200, (await http.PostJsonAsync(Chat, Air)).Status);
        Assert.Equal(200, (await http.PostJsonAsync(Chat, Air)).Status);
        using var third = await http.PostAsync(Chat, new StringContent(Air, Encoding.UTF8, "application/json"));
        Assert.Equal(429, (int)third.StatusCode);
        Assert.NotNull(third.Headers.RetryAfter?.Delta);
        var error = JsonNode.Parse(await third.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("1303", (string?)error["code"]);
        Assert.Contains("glm-4-air", (string?)error["message"]);

        // The limit is the model's for each key: the key's other models and other keys are still served.
        Assert.Equal(200, (await http.PostJsonAsync(Chat, Air.Replace("glm-4-air", "glm-4"))).Status);
        using var other = server.Http(otherKey.ZhipuKey);
        Assert.Equal(200, (await other.PostJsonAsync(Chat, Air)).Status);
        Assert.Equal(3, (await server.UsageAsync(tenant)).Count); // the refused request ran nothing and costs nothing
    }

    [Fact]
    public async Task A_model_not_trained_yet_is_a_503_naming_its_path()
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 1m);
        using var http = server.Http(key.ZhipuKey);
        var (status, body) = await http.PostJsonAsync(Chat, """{"model":"glm-4-flash","messages":[{"role":"user","content":"Hello"}]}""");

        Assert.Equal(503, status);
        Assert.Equal("1211", (string?)body["error"]!["code"]);
        Assert.Contains(server.MissingCheckpoint, (string?)body["error"]!["message"]);
        Assert.Empty(await server.UsageAsync(tenant));
    }

    [Fact]
    public async Task A_client_that_hangs_up_mid_stream_pays_for_what_was_generated()
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 1m);
        string body = """{"model":"glm-4","stream":true,"max_tokens":1000,"request_id":"hang-up-1","messages":[{"role":"user","content":"Hello there"}]}""";
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
            var stream = socket.GetStream();
            string request = $"POST {Chat} HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nAuthorization: Bearer {key.ZhipuKey}\r\n" +
                $"Content-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
            var received = new StringBuilder();
            var buffer = new byte[4096];
            while (!received.ToString().Contains("data: "))
                received.Append(Encoding.UTF8.GetString(buffer, 0, await stream.ReadAsync(buffer)));
            Assert.StartsWith("HTTP/1.1 200", received.ToString());
        }

        UsageRecord? row = null;
        for (int i = 0; i < 100 && row is null; i++, await Task.Delay(100))
            row = (await server.UsageAsync(tenant)).SingleOrDefault();
        Assert.NotNull(row);
        Assert.Equal("hang-up-1", row.RequestId);
        Assert.Equal(PromptTokens("Hello there"), row.PromptTokens);
        Assert.Equal("interrupted", row.FinishReason);
        Assert.InRange(row.CompletionTokens, 1, 999);
        Assert.Equal(MeteredServer.CostOf(row.PromptTokens, row.CompletionTokens), row.Cost);
        Assert.Equal(1m - row.Cost, await server.BalanceAsync(tenant));
    }

    // Zhipu's token: HS256 over {"alg":"HS256","sign_type":"SIGN"} and {api_key, exp, timestamp} in milliseconds.
    private static string Jwt(IssuedKey key, DateTimeOffset expires)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        string header = B64(Encoding.UTF8.GetBytes("""{"alg":"HS256","sign_type":"SIGN"}"""));
        string payload = B64(Encoding.UTF8.GetBytes(
            $$"""{"api_key":"{{key.KeyId}}","exp":{{expires.ToUnixTimeMilliseconds()}},"timestamp":{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}"""));
        byte[] signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key.Secret), Encoding.UTF8.GetBytes(header + "." + payload));
        return $"{header}.{payload}.{B64(signature)}";
    }
}
