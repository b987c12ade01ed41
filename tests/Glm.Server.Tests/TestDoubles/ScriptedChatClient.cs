using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Glm.Server.Tests.TestDoubles;

/// <summary>
/// Stands in for the engine: replies with a fixed script of updates, records what it was asked, and reports when
/// its cancellation token fires. <see cref="Gate"/>, when set, holds the reply after the first update until released.
/// </summary>
public sealed class ScriptedChatClient : IChatClient
{
    public List<ChatResponseUpdate> Script { get; set; } = Text("Hello", ", ", "world");

    public TaskCompletionSource? Gate { get; set; }

    public Exception? FailAfterFirst { get; set; }

    /// <summary>When set, thrown before the first update, as an engine refuses a request it cannot take.</summary>
    public Exception? Refuse { get; set; }

    public IList<ChatMessage>? LastMessages { get; private set; }

    public ChatOptions? LastOptions { get; private set; }

    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static List<ChatResponseUpdate> Text(params string[] pieces) =>
        pieces.Select(p => new ChatResponseUpdate(ChatRole.Assistant, p)).ToList();

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        LastMessages = messages.ToList();
        LastOptions = options;
        if (Refuse is not null)
            throw Refuse;
        for (int i = 0; i < Script.Count; i++)
        {
            yield return Script[i];
            if (i == 0 && FailAfterFirst is not null)
                throw FailAfterFirst;
            try
            {
                if (i == 0 && Gate is not null)
                    await Gate.Task.WaitAsync(cancellationToken);
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult();
                throw;
            }
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
