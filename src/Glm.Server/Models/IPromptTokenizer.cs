using Microsoft.Extensions.AI;

namespace Glm.Server.Models;

/// <summary>
/// Token counting for admission control and the tokenize endpoints. Implementations are thread safe.
/// </summary>
public interface IPromptTokenizer
{
    /// <summary>Token ids of plain <paramref name="text"/>, without any chat template.</summary>
    int[] Encode(string text);

    /// <summary>Tokens the model will read for <paramref name="messages"/>: the whole rendered chat template,
    /// generation prompt included.</summary>
    int CountPromptTokens(IReadOnlyList<ChatMessage> messages);
}
