using Glm.Inference.Generation;

namespace Glm.Inference.Scheduling;

/// <summary>
/// One item of a scheduled generation: a generated token with the text it completes (possibly empty while a character
/// or a possible stop string is unfinished), or, last of all, the end: <see cref="Id"/> −1, any text released at the
/// end, the <see cref="Finish"/> reason and the <see cref="Usage"/>.
/// </summary>
public readonly record struct ScheduledUpdate(int Id, string Text, FinishReason? Finish = null, GenerationUsage? Usage = null)
{
    /// <summary>True for the last item, which carries <see cref="Finish"/> and <see cref="Usage"/>.</summary>
    public bool IsEnd => Finish is not null;
}

/// <summary>
/// Token counts of one request: <paramref name="PromptTokens"/> includes <paramref name="CachedTokens"/>, the prompt
/// prefix found already in a KV slot and not computed again; <paramref name="CompletionTokens"/> excludes a stop token.
/// </summary>
public sealed record GenerationUsage(int PromptTokens, int CachedTokens, int CompletionTokens);

/// <summary>
/// A snapshot of the scheduler's state, for metrics: requests waiting, sequences running (prefilling or decoding), KV
/// slots in use and in all, tokens the running sequences hold in their caches and the caches' capacity in all, and
/// totals since start of tokens generated and of prompt tokens reused from a slot.
/// </summary>
public readonly record struct SchedulerGauges(int QueueDepth, int Running, int SlotsInUse, int SlotsTotal, long KvTokensInUse,
    long KvTokensCapacity, long TokensGenerated, long CachedPromptTokens);
