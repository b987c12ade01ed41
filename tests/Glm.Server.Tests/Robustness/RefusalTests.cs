using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Glm.Inference.Chat;
using Glm.Platform;
using Glm.Server.Tests.Api;
using Glm.Server.Tests.Engine;
using Microsoft.Extensions.AI;

namespace Glm.Server.Tests.Robustness;

/// <summary>
/// Bad requests over a real socket against the metered CPU engine, in both dialects: each gets its documented HTTP
/// status and error code, nothing is billed for it, and the server keeps serving (a normal request right after it is
/// answered and billed once, and <c>/health</c> is ok).
/// </summary>
public sealed class RefusalTests(MeteredServer server) : IClassFixture<MeteredServer>
{
    private const string Zhipu = "/api/paas/v4/chat/completions", OpenAi = "/v1/chat/completions";
    private const string Hello = """{"role":"user","content":"Hello there"}""";

    public static TheoryData<string, string> BadBodies => new()
    {
        { Zhipu, """{"model":"glm-4","messages":[""" },
        { OpenAi, """{"model":"glm-4","messages":[""" },
        { Zhipu, "model=glm-4&messages=hi" },
        { OpenAi, "" },
        { Zhipu, $$"""{"model":"glm-4","temperature":"hot","messages":[{{Hello}}]}""" },
        { OpenAi, $$"""{"model":"glm-4","temperature":"hot","messages":[{{Hello}}]}""" },
        { Zhipu, """{"model":"glm-4","messages":5}""" },
        { OpenAi, """{"model":"glm-4","messages":5}""" },
        { Zhipu, $$"""{"model":"glm-4","stream":"yes","messages":[{{Hello}}]}""" },
        { OpenAi, $$"""{"model":"glm-4","max_tokens":[4],"stream":true,"messages":[{{Hello}}]}""" },
        { OpenAi, """{"model":"glm-4","messages":[{"role":"user","content":42}]}""" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_malformed_or_mistyped_body_is_400_with_1210(string path, string body)
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 1m);
        using var http = server.Http(key.ZhipuKey);

        await AssertRefusedAsync(http, path, body, 400, "1210");
        await AssertStillServesAsync(http, path, tenant);
    }

    public static TheoryData<string, string, string> BadValues => new()
    {
        { Zhipu, "null", "1210" },
        { OpenAi, "[]", "1210" },
        { Zhipu, """{"model":5,"messages":[]}""", "1210" },
        { OpenAi, $$"""{"model":"glm-4","max_tokens":1e20,"messages":[{{Hello}}]}""", "1210" },
        { Zhipu, $$"""{"messages":[{{Hello}}]}""", "1213" },
        { OpenAi, """{"model":"glm-4","messages":[]}""", "1213" },
        { Zhipu, """{"model":"glm-4","messages":[{"role":"wizard","content":"hi"}]}""", "1214" },
        { OpenAi, """{"model":"glm-4","messages":[{"role":"user"}]}""", "1213" },
        { Zhipu, $$"""{"model":"glm-4","max_tokens":-1,"messages":[{{Hello}}]}""", "1214" },
        { OpenAi, $$"""{"model":"glm-4","temperature":7,"messages":[{{Hello}}]}""", "1214" },
        { OpenAi, $$"""{"model":"glm-4","n":3,"stream":true,"messages":[{{Hello}}]}""", "1214" },
        { Zhipu, $$"""{"model":"glm-4","stop":["a","b","c","d","e"],"messages":[{{Hello}}]}""", "1214" },
        { Zhipu, $$"""{"model":"glm-4","user_id":"ab","messages":[{{Hello}}]}""", "1214" },
        { OpenAi, $$"""{"model":"glm-4","tools":[{"type":"function"}],"messages":[{{Hello}}]}""", "1213" },
        { Zhipu, $$"""{"model":"glm-4","tools":[{"type":"code_interpreter"}],"messages":[{{Hello}}]}""", "1214" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task A_missing_or_invalid_value_is_400_with_its_code(string path, string body, string code)
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 1m);
        using var http = server.Http(key.ZhipuKey);

        await AssertRefusedAsync(http, path, body, 400, code);
        await AssertStillServesAsync(http, path, tenant);
    }

    [Theory]
    [InlineData(Zhipu)]
    [InlineData(OpenAi)]
    public async Task Unknown_fields_are_ignored_in_both_dialects(string path)
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 1m);
        using var http = server.Http(key.ZhipuKey);
        var (status, body) = await http.PostJsonAsync(path, """
            {"model":"glm-4","max_tokens":3,"temperature":0,"frobnicate":{"depth":[1,2]},"x_vendor_flag":true,
             "messages":[{"role":"user","content":"Hello","mood":"curious"}]}
            """);

        Assert.Equal(200, status);
        Assert.InRange((long)body["usage"]!["completion_tokens"]!, 1, 3);
        Assert.Single(await server.UsageAsync(tenant));
    }

    [Theory]
    [InlineData(Zhipu)]
    [InlineData(OpenAi)]
    public async Task A_body_over_the_limit_is_413_with_1210(string path)
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 1m);
        using var http = server.Http(key.ZhipuKey);
        // 9 MiB of prompt: over the default 8 MiB limit.
        string huge = $$"""{"model":"glm-4","messages":[{"role":"user","content":"{{new string('a', 9 << 20)}}"}]}""";

        // A client that waits for 100-continue (as it should with a large body) reads the refusal instead of a reset.
        http.DefaultRequestHeaders.ExpectContinue = true;
        await AssertRefusedAsync(http, path, huge, 413, "1210");
        http.DefaultRequestHeaders.ExpectContinue = false;
        await AssertStillServesAsync(http, path, tenant);
    }

    public static TheoryData<string, string> BadCredentials => new()
    {
        { Zhipu, "none" }, { OpenAi, "none" },
        { Zhipu, "wrong secret" }, { OpenAi, "wrong secret" },
        { Zhipu, "unknown key" }, { OpenAi, "unknown key" },
        { Zhipu, "JWT expired (ms)" }, { OpenAi, "JWT expired (ms)" },
        { Zhipu, "JWT expired (s)" }, { OpenAi, "JWT expired (s)" },
        { Zhipu, "JWT signed with another secret" },
    };

    [Theory]
    [MemberData(nameof(BadCredentials))]
    public async Task Bad_credentials_are_401_with_their_code(string path, string credential)
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 1m);
        var expired = DateTimeOffset.UtcNow.AddSeconds(-30);
        var (bearer, code) = credential switch
        {
            "none" => (null, "1001"),
            "wrong secret" => (key.KeyId + ".not-the-secret", "1002"),
            "unknown key" => ("sk-nokey123.secret", "1002"),
            "JWT expired (ms)" => (ZhipuJwt.Sign(key, expired), "1003"),
            "JWT expired (s)" => (ZhipuJwt.Sign(key, expired, seconds: true), "1003"),
            _ => (ZhipuJwt.Sign(key with { Secret = "another-secret" }, DateTimeOffset.UtcNow.AddMinutes(5)), "1002"),
        };
        using var http = server.Http(bearer);

        await AssertRefusedAsync(http, path, $$"""{"model":"glm-4","messages":[{{Hello}}]}""", 401, code);
        // The same key, signed right, is served at once: a refusal leaves no state behind.
        using var good = server.Http(ZhipuJwt.Sign(key, DateTimeOffset.UtcNow.AddMinutes(5), seconds: credential.EndsWith("(s)", StringComparison.Ordinal)));
        await AssertStillServesAsync(good, path, tenant);
    }

    [Theory]
    [InlineData(Zhipu, false)]
    [InlineData(Zhipu, true)]
    [InlineData(OpenAi, false)]
    [InlineData(OpenAi, true)]
    public async Task A_prompt_longer_than_the_window_is_400_with_1261(string path, bool stream)
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 1m);
        using var http = server.Http(key.ZhipuKey);
        string text = new('z', 1500);
        Assert.True(PromptTokens(text) > 1024);

        await AssertRefusedAsync(http, path, $$"""{"model":"glm-4","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"{{text}}"}]}""", 400, "1261");
        await AssertStillServesAsync(http, path, tenant);
    }

    [Theory]
    [InlineData(Zhipu)]
    [InlineData(OpenAi)]
    public async Task Max_tokens_beyond_the_window_is_clamped_to_what_fits(string path)
    {
        var (tenant, key) = await server.NewTenantAsync(balance: 1m);
        using var http = server.Http(key.ZhipuKey);
        string text = PromptOf(1014);

        var (status, body) = await http.PostJsonAsync(path,
            $$"""{"model":"glm-4","max_tokens":100000,"temperature":0,"messages":[{"role":"user","content":"{{text}}"}]}""");

        Assert.Equal(200, status);
        long prompt = (long)body["usage"]!["prompt_tokens"]!, completion = (long)body["usage"]!["completion_tokens"]!;
        Assert.Equal(1014, prompt);
        Assert.InRange(completion, 1, 1024 - 1014);
        if ((string?)body["choices"]![0]!["finish_reason"] == "length")
            Assert.Equal(1024 - 1014, completion);
        var row = Assert.Single(await server.UsageAsync(tenant));
        Assert.Equal(completion, row.CompletionTokens);
    }

    private int PromptTokens(string user) => ChatRequestMapping.RenderPrompt(server.Tokenizer, [new ChatMessage(ChatRole.User, user)]).Length;

    // A user message of exactly `tokens` prompt tokens (the tiny tokenizer has no merges for "z").
    private string PromptOf(int tokens)
    {
        string text = new('z', tokens);
        text = new string('z', 2 * tokens - PromptTokens(text));
        Assert.Equal(tokens, PromptTokens(text));
        return text;
    }

    private async Task AssertRefusedAsync(HttpClient http, string path, string body, int status, string code)
    {
        using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        string raw = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {raw}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonNode.Parse(raw)!["error"]!;
        Assert.Equal(code, (string?)error["code"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)error["message"]));
        if (path == OpenAi)
            Assert.NotNull((string?)error["type"]);
    }

    // /health is ok, and a normal request in the same dialect is answered and is the tenant's only usage row.
    private async Task AssertStillServesAsync(HttpClient http, string path, Tenant tenant)
    {
        using var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok", (string?)JsonNode.Parse(await health.Content.ReadAsStringAsync())!["status"]);

        var (status, body) = await http.PostJsonAsync(path, $$"""{"model":"glm-4","max_tokens":2,"messages":[{{Hello}}]}""");
        Assert.Equal(200, status);
        Assert.False(string.IsNullOrEmpty((string?)body["choices"]![0]!["finish_reason"]));
        var row = Assert.Single(await server.UsageAsync(tenant));
        Assert.Equal((long)body["usage"]!["completion_tokens"]!, row.CompletionTokens);
        Assert.Equal(1m - row.Cost, await server.BalanceAsync(tenant));
    }
}
