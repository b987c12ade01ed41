using Glm.Core;
using Glm.Core.Chat;

namespace Glm.Tokenizers;

/// <summary>
/// Token ids of a rendered conversation, and per id whether it belongs to an assistant reply: the reply's text and
/// the token that ends it (the next role token, or the end-of-text id when the reply is last). Supervised
/// fine-tuning puts loss only where <see cref="IsAssistantContent"/> is true. Both arrays have the same length.
/// </summary>
public sealed record RenderedChat(int[] Ids, bool[] IsAssistantContent);

/// <summary>
/// GLM prompt formats (glm-spec.md 3.2, 3.4) for plain turns; tools are not rendered yet. Role tokens are special
/// ids; the text of a turn is encoded with <see cref="IGlmTokenizer.Encode"/>, so a message that spells
/// <c>&lt;|user|&gt;</c> stays plain text and cannot forge a turn. Throws <see cref="GlmException"/> when the
/// tokenizer lacks a token the format needs.
/// </summary>
public static class ChatTemplate
{
    /// <summary><c>[gMASK]&lt;sop&gt;</c> + text: what GLM-4's and ChatGLM3's Hugging Face tokenizers give for plain
    /// text (spec test vector: "你好" gives [151331, 151333, 109377]).</summary>
    public static int[] RenderPlain(IGlmTokenizer tokenizer, string text) =>
        [Need(tokenizer.Special.GMask, "[gMASK]"), Need(tokenizer.Special.Sop, "<sop>"), .. tokenizer.Encode(text)];

    /// <summary>
    /// GLM-4: <c>[gMASK]&lt;sop&gt;</c>, then per turn <c>&lt;|role|&gt;{metadata}\n{content}</c> with the text after
    /// the role token encoded as one piece, as Hugging Face's chat template does; turns with empty content are
    /// skipped like the template does. Ends with <c>&lt;|assistant|&gt;</c> when <paramref name="addGenerationPrompt"/>.
    /// </summary>
    public static RenderedChat RenderGlm4(IGlmTokenizer tokenizer, IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt) =>
        Render(tokenizer, turns, addGenerationPrompt, skipEmpty: true,
            turn => tokenizer.Encode($"{turn.Metadata}\n{turn.Content}"));

    /// <summary>
    /// ChatGLM3: like GLM-4, but <c>{metadata}\n</c> and the content are encoded separately (each gets
    /// SentencePiece's dummy prefix, spec pitfall 10), and empty turns are kept, as <c>build_chat_input</c> does.
    /// </summary>
    public static RenderedChat RenderChatGlm3(IGlmTokenizer tokenizer, IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt) =>
        Render(tokenizer, turns, addGenerationPrompt, skipEmpty: false,
            turn => [.. tokenizer.Encode($"{turn.Metadata}\n"), .. tokenizer.Encode(turn.Content)]);

    private static RenderedChat Render(IGlmTokenizer tokenizer, IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt,
        bool skipEmpty, Func<ChatTurn, int[]> encodeBody)
    {
        SpecialTokenIds special = tokenizer.Special;
        var ids = new List<int> { Need(special.GMask, "[gMASK]"), Need(special.Sop, "<sop>") };
        var assistant = new List<bool> { false, false };
        bool replyOpen = false; // the last tokens are an assistant reply still waiting for its end token

        void Add(int id, bool isAssistant)
        {
            ids.Add(id);
            assistant.Add(isAssistant);
        }

        foreach (ChatTurn turn in turns)
        {
            if (skipEmpty && turn.Content.Length == 0) continue;
            Add(RoleId(special, turn.Role), replyOpen);
            bool isReply = turn.Role == ChatRole.Assistant;
            foreach (int id in encodeBody(turn)) Add(id, isReply);
            replyOpen = isReply;
        }

        if (addGenerationPrompt)
        {
            Add(Need(special.Assistant, "<|assistant|>"), replyOpen);
            replyOpen = false;
        }
        if (replyOpen) Add(Need(special.EndOfText, "end-of-text"), true);

        return new RenderedChat([.. ids], [.. assistant]);
    }

    private static int RoleId(SpecialTokenIds special, ChatRole role) => role switch
    {
        ChatRole.System => Need(special.System, "<|system|>"),
        ChatRole.User => Need(special.User, "<|user|>"),
        ChatRole.Assistant => Need(special.Assistant, "<|assistant|>"),
        ChatRole.Observation => Need(special.Observation, "<|observation|>"),
        _ => throw new GlmException($"unknown chat role {role}"),
    };

    private static int Need(int id, string name) =>
        id >= 0 ? id : throw new GlmException($"this tokenizer has no {name} token, which the chat format needs");
}
