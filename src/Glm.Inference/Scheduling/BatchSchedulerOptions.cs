namespace Glm.Inference.Scheduling;

/// <summary>How a <see cref="BatchScheduler"/> shares the model between requests. Immutable; <see cref="Validate"/> names the first bad field.</summary>
public sealed record BatchSchedulerOptions
{
    /// <summary>
    /// KV cache slots, which is the most sequences running at once (at most the model's batch size). Each slot holds a
    /// cache for the model's whole context: layers × context × Hkv·D × 2 floats, allocated up front.
    /// </summary>
    public int Slots { get; init; } = 4;

    /// <summary>Most requests waiting for a slot; one more is refused with <see cref="SchedulerBusyException"/>.</summary>
    public int MaxQueuedRequests { get; init; } = 64;

    /// <summary>
    /// Most prompt tokens prefilled between two decode steps, so a long prompt delays running sequences by at most one
    /// chunk per step.
    /// </summary>
    public int PrefillChunk { get; init; } = 32;

    public BatchSchedulerOptions Validate()
    {
        if (Slots < 1) throw new ArgumentOutOfRangeException(nameof(Slots), Slots, "slots must be ≥ 1");
        if (MaxQueuedRequests < 0) throw new ArgumentOutOfRangeException(nameof(MaxQueuedRequests), MaxQueuedRequests, "the queue capacity must be ≥ 0");
        if (PrefillChunk < 1) throw new ArgumentOutOfRangeException(nameof(PrefillChunk), PrefillChunk, "the prefill chunk must be ≥ 1 token");
        return this;
    }
}
