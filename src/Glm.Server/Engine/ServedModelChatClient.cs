using System.Runtime.CompilerServices;
using Glm.Inference.Chat;
using Glm.Tokenizers;
using Microsoft.Extensions.AI;

namespace Glm.Server.Engine;

/// <summary>
/// The engine as the metering layer above must see it: every response and update carries the registry's public name
/// as its model id (metering prices the name it sees, whatever the engine calls its file), and the first update of a
/// stream already reports the prompt's tokens (the engine's own count), so a stream the caller abandons is billed for
/// the prompt it read, not only for the tokens it generated. Thread safe if the inner client is.
/// </summary>
internal sealed class ServedModelChatClient(IChatClient engine, string modelId, IGlmTokenizer tokenizer) : DelegatingChatClient(engine)
{
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken);
        response.ModelId = modelId;
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyCollection<ChatMessage> ?? messages.ToList();
        int prompt = ChatRequestMapping.RenderPrompt(tokenizer, list, options?.Instructions).Length;
        bool first = true;
        await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken))
        {
            update.ModelId = modelId;
            if (first)
            {
                // First, so that the engine's complete report, when it comes in this same update, is the last word.
                update.Contents.Insert(0, new UsageContent(new UsageDetails { InputTokenCount = prompt }));
                first = false;
            }
            yield return update;
        }
    }
}
