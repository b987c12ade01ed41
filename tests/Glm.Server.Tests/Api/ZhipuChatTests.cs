using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Glm.Server.Tests.TestDoubles;
using Microsoft.Extensions.AI;

namespace Glm.Server.Tests.Api;

public class ZhipuChatTests
{
    private const string Path = "/api/paas/v4/chat/completions";

    [Fact]
    public async Task A_completion_echoes_the_request_id_and_reports_usage()
    {
        await using var server = await RunningServer.StartAsync();
        var (status, body) = await server.Http.PostJsonAsync(Path,
            """{"model":"glm-4","request_id":"req-42","messages":[{"role":"user","content":"say hello"}]}""");

        Assert.Equal(200, status);
        Assert.Equal("req-42", (string?)body["request_id"]);
        Assert.Equal("glm-4", (string?)body["model"]);
        var choice = body["choices"]![0]!;
        Assert.Equal("assistant", (string?)choice["message"]!["role"]);
        Assert.Equal("Hello, world", (string?)choice["message"]!["content"]);
        Assert.Equal("stop", (string?)choice["finish_reason"]);
        // Prompt: 2 words + 2 per message + 1; completion: 2 words.
        Assert.Equal(5, (int)body["usage"]!["prompt_tokens"]!);
        Assert.Equal(2, (int)body["usage"]!["completion_tokens"]!);
        Assert.Equal(7, (int)body["usage"]!["total_tokens"]!);
        Assert.Equal("req-42", server.Chat.LastOptions!.AdditionalProperties!["request_id"]);
    }

    [Fact]
    public async Task The_stream_repeats_the_role_puts_usage_on_the_last_chunk_and_ends_with_DONE()
    {
        await using var server = await RunningServer.StartAsync();
        var (raw, events) = await server.Http.PostStreamAsync(Path,
            """{"model":"glm-4","request_id":"s1","stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.EndsWith("data: [DONE]\n\n", raw);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal(5, events.Length); // three pieces, the final chunk, [DONE]
        string created = Regex.Match(events[0], "\"created\":(\\d+)").Groups[1].Value;
        Assert.Equal(
            """data: {"id":"s1","created":CREATED,"model":"glm-4","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"}}]}""".Replace("CREATED", created),
            events[0]);
        Assert.Equal(
            """data: {"id":"s1","created":CREATED,"model":"glm-4","choices":[{"index":0,"delta":{"role":"assistant","content":", "}}]}""".Replace("CREATED", created),
            events[1]);
        Assert.Equal(
            """data: {"id":"s1","created":CREATED,"model":"glm-4","choices":[{"index":0,"finish_reason":"stop","delta":{"role":"assistant","content":""}}],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}""".Replace("CREATED", created),
            events[3]);
    }

    [Theory]
    [InlineData("\"temperature\":0", 0f, null, 1, false)]
    [InlineData("\"do_sample\":false,\"temperature\":0.5", 0f, null, 1, false)]
    [InlineData("\"temperature\":1.5,\"top_p\":0", 0.99f, 0.01f, null, true)]
    [InlineData("\"top_p\":1", 0.95f, 0.99f, null, true)]
    [InlineData("\"temperature\":0.3", 0.3f, 0.7f, null, true)]
    public async Task Sampling_fields_take_Zhipu_defaults_and_clamps(string fields, float temperature, float? topP, int? topK, bool doSample)
    {
        await using var server = await RunningServer.StartAsync();
        var (status, _) = await server.Http.PostJsonAsync(Path, $$"""{"model":"glm-4",{{fields}},"messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal(200, status);
        var options = server.Chat.LastOptions!;
        Assert.Equal(temperature, options.Temperature!.Value, 1e-6f);
        Assert.Equal(topP, options.TopP);
        Assert.Equal(topK, options.TopK);
        Assert.Equal(doSample, options.AdditionalProperties!["do_sample"]);
    }

    [Theory]
    [InlineData("\"stop\":\"END\"", new[] { "END" })]
    [InlineData("\"stop\":[\"A\",\"B\"]", new[] { "A", "B" })]
    public async Task Stop_is_a_string_or_a_list(string field, string[] expected)
    {
        await using var server = await RunningServer.StartAsync();
        var (status, _) = await server.Http.PostJsonAsync(Path, $$"""{"model":"glm-4",{{field}},"user_id":"user-123","messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal(200, status);
        Assert.Equal(expected, server.Chat.LastOptions!.StopSequences);
        Assert.Equal("user-123", server.Chat.LastOptions.AdditionalProperties!["user_id"]);
    }

    [Fact]
    public async Task Max_tokens_is_clamped_to_what_fits_and_a_prompt_over_the_window_is_error_1261()
    {
        await using var server = await RunningServer.StartAsync();
        string words = string.Join(' ', Enumerable.Repeat("w", 50)); // prompt 53 tokens of a 64-token window
        var (ok, _) = await server.Http.PostJsonAsync(Path, $$"""{"model":"glm-4","max_tokens":1000,"messages":[{"role":"user","content":"{{words}}"}]}""");
        Assert.Equal(200, ok);
        Assert.Equal(11, server.Chat.LastOptions!.MaxOutputTokens);

        var (_, defaulted) = await server.Http.PostJsonAsync(Path, """{"model":"glm-4","messages":[{"role":"user","content":"x"}]}""");
        Assert.NotNull(defaulted["choices"]);
        Assert.Equal(10, server.Chat.LastOptions!.MaxOutputTokens);

        string tooLong = string.Join(' ', Enumerable.Repeat("w", 61)); // 64 tokens: no room for one output token
        var (status, body) = await server.Http.PostJsonAsync(Path, $$"""{"model":"glm-4","messages":[{"role":"user","content":"{{tooLong}}"}]}""");
        Assert.Equal(400, status);
        Assert.Equal("1261", (string?)body["error"]!["code"]);
        Assert.Contains("64", (string?)body["error"]!["message"]);
    }

    [Theory]
    [InlineData("""{"model":"glm-5","messages":[{"role":"user","content":"x"}]}""", 400, "1211")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}]}""", 400, "1213")]
    [InlineData("""{"model":"glm-4","messages":[{"role":"system","content":"x"}]}""", 400, "1214")]
    [InlineData("""{"model":"glm-4","user_id":"abc","messages":[{"role":"user","content":"x"}]}""", 400, "1214")]
    [InlineData("""{"model":"glm-4","max_tokens":0,"messages":[{"role":"user","content":"x"}]}""", 400, "1214")]
    [InlineData("""{"model":"glm-4","stop":["1","2","3","4","5"],"messages":[{"role":"user","content":"x"}]}""", 400, "1214")]
    [InlineData("""{"model":"glm-4","messages":[{"role":"robot","content":"x"}]}""", 400, "1214")]
    [InlineData("""{"model":"glm-4","temperature":"hot","messages":[]}""", 400, "1210")]
    [InlineData("""{"model":"glm-4",""", 400, "1210")]
    [InlineData("""{"model":"embedding-3","messages":[{"role":"user","content":"x"}]}""", 400, "1212")]
    public async Task Bad_requests_get_Zhipu_error_codes(string body, int status, string code)
    {
        await using var server = await RunningServer.StartAsync();
        var (actual, json) = await server.Http.PostJsonAsync(Path, body);

        Assert.Equal(status, actual);
        Assert.Equal(code, (string?)json["error"]!["code"]);
        Assert.False(string.IsNullOrEmpty((string?)json["error"]!["message"]));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413()
    {
        await using var server = await RunningServer.StartAsync(maxBodyBytes: 1024);
        string big = new('x', 4096);
        var (status, body) = await server.Http.PostJsonAsync(Path, $$"""{"model":"glm-4","messages":[{"role":"user","content":"{{big}}"}]}""");

        Assert.Equal(413, status);
        Assert.Equal("1210", (string?)body["error"]!["code"]);
        Assert.Contains("1024", (string?)body["error"]!["message"]);
    }

    [Fact]
    public async Task A_request_id_already_in_flight_is_error_1231()
    {
        await using var server = await RunningServer.StartAsync();
        server.Chat.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var first = await server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Path)
        {
            Content = new StringContent("""{"model":"glm-4","request_id":"dup","stream":true,"messages":[{"role":"user","content":"x"}]}""",
                System.Text.Encoding.UTF8, "application/json"),
        }, HttpCompletionOption.ResponseHeadersRead);

        var (status, body) = await server.Http.PostJsonAsync(Path, """{"model":"glm-4","request_id":"dup","messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(400, status);
        Assert.Equal("1231", (string?)body["error"]!["code"]);

        server.Chat.Gate.SetResult();
        Assert.EndsWith("data: [DONE]\n\n", await first.Content.ReadAsStringAsync());
        var (again, _) = await server.Http.PostJsonAsync(Path, """{"model":"glm-4","request_id":"dup","messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(200, again);
    }

    [Fact]
    public async Task Tool_calls_come_back_with_null_content_and_JSON_string_arguments()
    {
        await using var server = await RunningServer.StartAsync();
        server.Chat.Script =
        [
            new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent("call_7", "get_weather", new Dictionary<string, object?> { ["city"] = "Beijing" })]),
        ];
        var (status, body) = await server.Http.PostJsonAsync(Path, """
            {"model":"glm-4","messages":[{"role":"user","content":"weather?"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}
            """);

        Assert.Equal(200, status);
        var choice = body["choices"]![0]!;
        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        Assert.Null(choice["message"]!["content"]);
        Assert.True(choice["message"]!.AsObject().ContainsKey("content"));
        var call = choice["message"]!["tool_calls"]![0]!;
        Assert.Equal("call_7", (string?)call["id"]);
        Assert.Equal("get_weather", (string?)call["function"]!["name"]);
        Assert.Equal("""{"city":"Beijing"}""", (string?)call["function"]!["arguments"]);
        Assert.Equal("get_weather", Assert.Single(server.Chat.LastOptions!.Tools!).Name);
    }

    [Fact]
    public async Task A_streamed_tool_call_arrives_whole_in_one_delta_with_a_stable_id()
    {
        await using var server = await RunningServer.StartAsync();
        server.Chat.Script =
        [
            new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent("", "now", null)]),
        ];
        var (_, events) = await server.Http.PostStreamAsync(Path, """{"model":"glm-4","stream":true,"messages":[{"role":"user","content":"time?"}]}""");

        Assert.Equal(3, events.Length);
        var delta = JsonNode.Parse(events[0]["data: ".Length..])!["choices"]![0]!["delta"]!;
        Assert.Equal("assistant", (string?)delta["role"]);
        var call = delta["tool_calls"]![0]!;
        Assert.StartsWith("call_", (string?)call["id"]);
        Assert.Equal("now", (string?)call["function"]!["name"]);
        Assert.Equal("{}", (string?)call["function"]!["arguments"]);
        Assert.Equal("tool_calls", (string?)JsonNode.Parse(events[1]["data: ".Length..])!["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public async Task Finish_reasons_use_Zhipu_names()
    {
        await using var server = await RunningServer.StartAsync();
        server.Chat.Script = [new ChatResponseUpdate(ChatRole.Assistant, "bad") { FinishReason = ChatFinishReason.ContentFilter }];
        var (_, filtered) = await server.Http.PostJsonAsync(Path, """{"model":"glm-4","messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal("sensitive", (string?)filtered["choices"]![0]!["finish_reason"]);

        server.Chat.Script = ScriptedChatClient.Text(Enumerable.Repeat("a ", 10).ToArray());
        var (_, full) = await server.Http.PostJsonAsync(Path, """{"model":"glm-4","max_tokens":10,"messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal("length", (string?)full["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public async Task A_failure_mid_stream_is_reported_in_band()
    {
        await using var server = await RunningServer.StartAsync();
        server.Chat.FailAfterFirst = new InvalidOperationException("engine fell over");
        var (_, events) = await server.Http.PostStreamAsync(Path, """{"model":"glm-4","stream":true,"messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal(2, events.Length);
        var error = JsonNode.Parse(events[1]["data: ".Length..])!;
        Assert.Equal("1234", (string?)error["error"]!["code"]);
        Assert.Contains("engine fell over", (string?)error["error"]!["message"]);
    }
}
