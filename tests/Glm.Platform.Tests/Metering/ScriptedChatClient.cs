using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Glm.Platform.Tests;

/// <summary>
/// A stand-in for the engine: streams the scripted updates in order (one per token) and answers a non-streaming
/// call with them combined. Records the options each call received.
/// </summary>
public sealed class ScriptedChatClient(params ChatResponseUpdate[] script) : IChatClient
{
    public List<ChatOptions?> Calls { get; } = [];

    /// <summary>How many updates the last stream handed out.</summary>
    public int Streamed { get; private set; }

    /// <summary>An engine-like script: one update per token, then a finish reason and usage.</summary>
    public static ScriptedChatClient Tokens(string model, int promptTokens, params string[] tokens) =>
        new([
            .. tokens.Select(t => new ChatResponseUpdate(ChatRole.Assistant, t) { ModelId = model }),
            new ChatResponseUpdate
            {
                ModelId = model,
                FinishReason = ChatFinishReason.Stop,
                Contents = [new UsageContent(new UsageDetails
                {
                    InputTokenCount = promptTokens, OutputTokenCount = tokens.Length, CachedInputTokenCount = 2,
                })],
            },
        ]);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        Calls.Add(options);
        return Task.FromResult(script.ToChatResponse());
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Calls.Add(options);
        Streamed = 0;
        foreach (var update in script)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            Streamed++;
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", null, "glm-4-flash") : null;

    public void Dispose() { }
}
