using System.Globalization;
using Glm.Core;
using Glm.Core.Chat;
using Glm.Inference.Generation;
using Glm.Inference.Sampling;
using Glm.Tokenizers;
using Microsoft.Extensions.AI;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace Glm.Inference.Chat;

/// <summary>
/// Turns a Microsoft.Extensions.AI request into what the engine runs: the messages into prompt ids (the model's chat
/// template) and the <see cref="ChatOptions"/> into <see cref="GenerationOptions"/>. Stateless and thread-safe.
/// </summary>
public static class ChatRequestMapping
{
    /// <summary>Key of <see cref="ChatOptions.AdditionalProperties"/> for the HF-style repetition penalty (1 = off).</summary>
    public const string RepetitionPenaltyKey = "repetition_penalty";

    /// <summary>Key of <see cref="ChatOptions.AdditionalProperties"/> for min-p filtering (0 = off).</summary>
    public const string MinPKey = "min_p";

    /// <summary>Key of <see cref="ChatOptions.AdditionalProperties"/>: <c>false</c> forces greedy decoding (Zhipu's <c>do_sample</c>).</summary>
    public const string DoSampleKey = "do_sample";

    /// <summary>
    /// The prompt ids for <paramref name="messages"/>: ChatGLM3's format for its SentencePiece tokenizer, GLM-4's for
    /// every other tokenizer, ending with <c>&lt;|assistant|&gt;</c>. <paramref name="instructions"/> (when given) come
    /// first as a system turn; the tool role maps to <c>&lt;|observation|&gt;</c>. Only text content is rendered.
    /// </summary>
    public static int[] RenderPrompt(IGlmTokenizer tokenizer, IEnumerable<ChatMessage> messages, string? instructions = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(messages);
        var turns = new List<ChatTurn>();
        if (!string.IsNullOrEmpty(instructions)) turns.Add(new ChatTurn(Core.Chat.ChatRole.System, instructions));
        foreach (ChatMessage message in messages) turns.Add(new ChatTurn(Role(message.Role), message.Text));
        RenderedChat rendered = tokenizer is ChatGlm3Tokenizer
            ? ChatTemplate.RenderChatGlm3(tokenizer, turns, addGenerationPrompt: true)
            : ChatTemplate.RenderGlm4(tokenizer, turns, addGenerationPrompt: true);
        return rendered.Ids;
    }

    /// <summary>
    /// Generation options for a request: <see cref="ChatOptions.Temperature"/> 0 (or <c>do_sample=false</c>) is greedy;
    /// TopP, TopK, Seed, penalties, <c>repetition_penalty</c> and <c>min_p</c> override <paramref name="defaults"/>;
    /// MaxOutputTokens caps the reply at <paramref name="maxTokens"/> (the room left in the context). Throws
    /// <see cref="GlmException"/> naming the first bad value.
    /// </summary>
    public static GenerationOptions ToGenerationOptions(ChatOptions? options, SamplingOptions defaults, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        SamplingOptions sampling = defaults;
        int max = maxTokens;
        IReadOnlyList<string> stops = [];
        if (options is not null)
        {
            sampling = sampling with
            {
                Temperature = options.Temperature ?? sampling.Temperature,
                TopP = options.TopP ?? sampling.TopP,
                TopK = options.TopK ?? sampling.TopK,
                PresencePenalty = options.PresencePenalty ?? sampling.PresencePenalty,
                FrequencyPenalty = options.FrequencyPenalty ?? sampling.FrequencyPenalty,
                Seed = options.Seed is { } seed ? Fold(seed) : sampling.Seed,
                RepetitionPenalty = Extra(options, RepetitionPenaltyKey) ?? sampling.RepetitionPenalty,
                MinP = Extra(options, MinPKey) ?? sampling.MinP,
            };
            if (options.AdditionalProperties?.TryGetValue(DoSampleKey, out object? doSample) == true && doSample is false or "false")
                sampling = sampling with { Temperature = 0 };
            if (options.MaxOutputTokens is { } requested)
            {
                if (requested < 1) throw new GlmException($"max output tokens must be at least 1, got {requested}");
                max = Math.Min(max, requested);
            }
            stops = [.. options.StopSequences ?? []];
        }
        try
        {
            sampling.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new GlmException(e.Message.Split(Environment.NewLine)[0], e);
        }
        return new GenerationOptions { MaxTokens = max, Sampling = sampling, StopStrings = stops };
    }

    /// <summary>The engine's finish reason in MEAI's terms: a full context counts as <see cref="ChatFinishReason.Length"/>.</summary>
    public static ChatFinishReason ToChatFinishReason(FinishReason reason) =>
        reason == FinishReason.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length;

    private static Core.Chat.ChatRole Role(AiChatRole role) =>
        role == AiChatRole.System ? Core.Chat.ChatRole.System
        : role == AiChatRole.User ? Core.Chat.ChatRole.User
        : role == AiChatRole.Assistant ? Core.Chat.ChatRole.Assistant
        : role == AiChatRole.Tool ? Core.Chat.ChatRole.Observation
        : throw new GlmException($"chat role '{role}' is not one of system, user, assistant, tool");

    private static double? Extra(ChatOptions options, string key)
    {
        if (options.AdditionalProperties?.TryGetValue(key, out object? value) != true || value is null) return null;
        try
        {
            return value switch
            {
                System.Text.Json.JsonElement json => json.GetDouble(),
                IConvertible convertible => convertible.ToDouble(CultureInfo.InvariantCulture),
                _ => throw new FormatException(),
            };
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or InvalidOperationException or OverflowException)
        {
            throw new GlmException($"{key} must be a number, got '{value}'", e);
        }
    }

    /// <summary>A 64-bit seed folded to the sampler's 32 bits (equal seeds give equal draws).</summary>
    private static int Fold(long seed) => unchecked((int)(seed ^ (seed >> 32)));
}
