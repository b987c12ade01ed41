using System.Text.Json.Nodes;
using Glm.Server.Tests.TestDoubles;

namespace Glm.Server.Tests.Api;

public class EndpointTests
{
    [Theory]
    [InlineData("/api/paas/v4")]
    [InlineData("/v1")]
    public async Task Models_list_the_registry_with_limits_and_prices(string prefix)
    {
        await using var server = await RunningServer.StartAsync();
        var (status, body) = await server.Http.GetJsonAsync(prefix + "/models");

        Assert.Equal(200, status);
        var models = body["data"]!.AsArray();
        Assert.Equal(["embedding-3", "glm-4", "glm-4-flash"], models.Select(m => (string)m!["id"]!));
        var glm4 = models[1]!;
        Assert.Equal(64, (int)glm4["context_window"]!);
        Assert.Equal(20, (int)glm4["max_output_tokens"]!);
        Assert.Equal("q8_0", (string?)glm4["quantization"]);
        Assert.Equal(100m, (decimal)glm4["input_price_per_million"]!);
    }

    [Fact]
    public async Task Tokenize_counts_text_and_templated_messages()
    {
        await using var server = await RunningServer.StartAsync();
        var (_, text) = await server.Http.PostJsonAsync("/api/paas/v4/tokenize", """{"model":"glm-4","text":"one two three"}""");
        Assert.Equal(3, (int)text["token_count"]!);
        Assert.Equal(3, text["tokens"]!.AsArray().Count);

        var (_, chat) = await server.Http.PostJsonAsync("/v1/tokenize", """{"model":"glm-4","messages":[{"role":"user","content":"one two"}]}""");
        Assert.Equal(5, (int)chat["token_count"]!);
        Assert.Null(chat["tokens"]);
    }

    [Fact]
    public async Task Zhipu_embeddings_return_floats_usage_and_honour_dimensions()
    {
        await using var server = await RunningServer.StartAsync();
        var (status, body) = await server.Http.PostJsonAsync("/api/paas/v4/embeddings", """{"model":"embedding-3","input":"two words","dimensions":2}""");

        Assert.Equal(200, status);
        Assert.Equal("list", (string?)body["object"]);
        var item = body["data"]![0]!;
        Assert.Equal("embedding", (string?)item["object"]);
        Assert.Equal([9f, 1f], item["embedding"]!.AsArray().Select(v => (float)v!));
        Assert.Equal(2, (int)body["usage"]!["prompt_tokens"]!);

        var (chatModel, error) = await server.Http.PostJsonAsync("/api/paas/v4/embeddings", """{"model":"glm-4","input":"x"}""");
        Assert.Equal(400, chatModel);
        Assert.Equal("1212", (string?)error["error"]!["code"]);
    }

    [Fact]
    public async Task Metrics_count_requests_tokens_and_latencies()
    {
        await using var server = await RunningServer.StartAsync();
        await server.Http.PostStreamAsync("/api/paas/v4/chat/completions", """{"model":"glm-4","stream":true,"messages":[{"role":"user","content":"x"}]}""");
        await server.Http.PostJsonAsync("/v1/chat/completions", """{"model":"nope","messages":[{"role":"user","content":"x"}]}""");
        string metrics = await server.Http.GetStringAsync("/metrics");

        Assert.Contains("glm_http_requests_total{route=\"/api/paas/v4/chat/completions\",status=\"200\"} 1", metrics);
        Assert.Contains("glm_http_requests_total{route=\"/v1/chat/completions\",status=\"404\"} 1", metrics);
        Assert.Contains("glm_tokens_total{model=\"glm-4\",kind=\"prompt\"} 4", metrics);
        Assert.Contains("glm_tokens_total{model=\"glm-4\",kind=\"completion\"} 2", metrics);
        Assert.Contains("glm_time_to_first_token_seconds_count{model=\"glm-4\"} 1", metrics);
        Assert.Contains("glm_inter_token_latency_seconds_count{model=\"glm-4\"} 2", metrics);
        Assert.Contains("# TYPE glm_queue_depth gauge", metrics);
    }

    [Fact]
    public async Task Health_OpenAPI_and_the_reference_page_are_served()
    {
        await using var server = await RunningServer.StartAsync();
        var (status, health) = await server.Http.GetJsonAsync("/health");
        Assert.Equal(200, status);
        Assert.Equal("ok", (string?)health["status"]);

        var openApi = JsonNode.Parse(await server.Http.GetStringAsync("/openapi/v1.json"))!;
        var paths = openApi["paths"]!.AsObject();
        Assert.Contains("/api/paas/v4/chat/completions", paths.Select(p => p.Key));
        Assert.Contains("/api/paas/v4/async-result/{id}", paths.Select(p => p.Key));
        Assert.Contains("/v1/chat/completions", paths.Select(p => p.Key));
        Assert.NotNull(paths["/v1/chat/completions"]!["post"]!["requestBody"]);

        using var page = await server.Http.GetAsync("/scalar");
        Assert.Equal(200, (int)page.StatusCode);
        Assert.Contains("text/html", page.Content.Headers.ContentType!.ToString());
    }
}
