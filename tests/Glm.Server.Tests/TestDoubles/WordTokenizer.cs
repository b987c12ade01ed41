using Glm.Server.Models;
using Microsoft.Extensions.AI;

namespace Glm.Server.Tests.TestDoubles;

/// <summary>One token per whitespace-separated word; a chat costs its words plus 2 per message plus 1.</summary>
public sealed class WordTokenizer : IPromptTokenizer
{
    public int[] Encode(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(w => w.Length).ToArray();

    public int CountPromptTokens(IReadOnlyList<ChatMessage> messages) =>
        messages.Sum(m => Encode(m.Text).Length + 2) + 1;
}
