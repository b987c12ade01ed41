using Glm.Inference.Chat;
using Glm.Server.Models;
using Glm.Tokenizers;
using Microsoft.Extensions.AI;

namespace Glm.Server.Engine;

/// <summary>Counts tokens with a model's own tokenizer; a prompt is the chat template the engine renders. Thread safe.</summary>
internal sealed class EnginePromptTokenizer(IGlmTokenizer tokenizer) : IPromptTokenizer
{
    public int[] Encode(string text) => tokenizer.Encode(text);

    public int CountPromptTokens(IReadOnlyList<ChatMessage> messages) => ChatRequestMapping.RenderPrompt(tokenizer, messages).Length;
}
