using Glm.Inference.Sampling;

namespace Glm.Inference.Generation;

/// <summary>What a generation produces and when it stops. Immutable.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most new tokens.</summary>
    public int MaxTokens { get; init; } = 256;

    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>
    /// Token ids that end generation (not emitted). Null = the model's eos ids plus, where the tokenizer has them,
    /// <c>&lt;|user|&gt;</c> and <c>&lt;|observation|&gt;</c> (glm-spec pitfall 13).
    /// </summary>
    public IReadOnlyList<int>? StopTokenIds { get; init; }

    /// <summary>Strings that end generation; the text stops just before the first one.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];
}

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    /// <summary>A stop token or stop string.</summary>
    Stop,

    /// <summary><see cref="GenerationOptions.MaxTokens"/> reached.</summary>
    Length,

    /// <summary>The model's context is full.</summary>
    ContextFull,
}

/// <summary>One generated token and the text it completes (possibly empty while a character is unfinished).</summary>
public readonly record struct GeneratedToken(int Id, string Text);

/// <summary>A finished generation.</summary>
public sealed record GenerationResult(int[] PromptIds, int[] Ids, string Text, FinishReason FinishReason, TimeSpan PrefillTime, TimeSpan DecodeTime)
{
    /// <summary>Decode speed: generated tokens after the first per second of decode time.</summary>
    public double DecodeTokensPerSecond => Ids.Length > 1 && DecodeTime > TimeSpan.Zero ? (Ids.Length - 1) / DecodeTime.TotalSeconds : 0;
}
