using System.ClientModel;
using System.Text;
using System.Text.Json.Nodes;
using Glm.Server.Tests.TestDoubles;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace Glm.Server.Tests.Api;

/// <summary>The official OpenAI .NET SDK, unchanged, against <c>/v1</c>.</summary>
public class OpenAiSdkTests
{
    private static OpenAIClient Client(RunningServer server) =>
        new(new ApiKeyCredential("sk-unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });

    [Fact]
    public async Task The_SDK_completes_a_chat()
    {
        await using var server = await RunningServer.StartAsync();
        ChatCompletion completion = await Client(server).GetChatClient("glm-4").CompleteChatAsync(
            [new SystemChatMessage("be brief"), new UserChatMessage("say hello")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 5, StopSequences = { "END" } });

        Assert.Equal("Hello, world", completion.Content[0].Text);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("glm-4", completion.Model);
        Assert.Equal(9, completion.Usage.InputTokenCount); // (2 + 2) + (2 + 2) + 1
        Assert.Equal(2, completion.Usage.OutputTokenCount);
        var options = server.Chat.LastOptions!;
        Assert.Equal(0f, options.Temperature);
        Assert.Equal(5, options.MaxOutputTokens);
        Assert.Equal(["END"], options.StopSequences);
        Assert.Equal(2, server.Chat.LastMessages!.Count);
    }

    [Fact]
    public async Task The_SDK_streams_a_chat_with_usage()
    {
        await using var server = await RunningServer.StartAsync();
        var text = new StringBuilder();
        OpenAI.Chat.ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in Client(server).GetChatClient("glm-4").CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal("Hello, world", text.ToString());
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(4, usage.InputTokenCount);
        Assert.Equal(2, usage.OutputTokenCount);
    }

    [Fact]
    public async Task The_SDK_gets_embeddings()
    {
        await using var server = await RunningServer.StartAsync();
        OpenAIEmbeddingCollection embeddings = await Client(server).GetEmbeddingClient("embedding-3").GenerateEmbeddingsAsync(["a", "abc"]);

        Assert.Equal(2, embeddings.Count);
        Assert.Equal([1f, 1f, 0f, 0f], embeddings[0].ToFloats().ToArray());
        Assert.Equal([3f, 1f, 0f, 0f], embeddings[1].ToFloats().ToArray());
    }

    [Fact]
    public async Task The_SDK_sees_an_unknown_model_as_404()
    {
        await using var server = await RunningServer.StartAsync();
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client(server).GetChatClient("gpt-4").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(404, error.Status);
    }

    [Fact]
    public async Task Raw_v1_stream_has_usage_only_when_asked_and_errors_use_the_OpenAI_envelope()
    {
        await using var server = await RunningServer.StartAsync();
        const string path = "/v1/chat/completions";
        var (_, plain) = await server.Http.PostStreamAsync(path, """{"model":"glm-4","stream":true,"messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal("data: [DONE]", plain[^1]);
        Assert.DoesNotContain(plain, e => e.Contains("\"usage\""));
        var first = JsonNode.Parse(plain[0]["data: ".Length..])!;
        Assert.Equal("chat.completion.chunk", (string?)first["object"]);
        Assert.Equal("assistant", (string?)first["choices"]![0]!["delta"]!["role"]);
        Assert.Null(JsonNode.Parse(plain[1]["data: ".Length..])!["choices"]![0]!["delta"]!["role"]);
        Assert.Equal("stop", (string?)JsonNode.Parse(plain[^2]["data: ".Length..])!["choices"]![0]!["finish_reason"]);

        var (_, withUsage) = await server.Http.PostStreamAsync(path,
            """{"model":"glm-4","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}""");
        var usageChunk = JsonNode.Parse(withUsage[^2]["data: ".Length..])!;
        Assert.Empty(usageChunk["choices"]!.AsArray());
        Assert.Equal(6, (int)usageChunk["usage"]!["total_tokens"]!);

        var (status, error) = await server.Http.PostJsonAsync(path, """{"model":"glm-4","temperature":3,"messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(400, status);
        Assert.Equal("invalid_request_error", (string?)error["error"]!["type"]);
        Assert.Equal("temperature", (string?)error["error"]!["param"]);
        Assert.Equal("1214", (string?)error["error"]!["code"]);
    }
}
