using Glm.Core;

namespace Glm.Inference.Scheduling;

/// <summary>
/// A request was refused because every KV slot is busy and the wait queue is full (HTTP 429, Zhipu code 1302).
/// <see cref="RetryAfter"/> is the scheduler's estimate of when a place frees up.
/// </summary>
public sealed class SchedulerBusyException(int queued, TimeSpan retryAfter)
    : GlmException($"the engine is busy: {queued} requests are already waiting; retry in {Math.Ceiling(retryAfter.TotalSeconds)} s")
{
    /// <summary>Requests waiting when this one was refused.</summary>
    public int Queued { get; } = queued;

    /// <summary>When to try again (whole seconds suit a Retry-After header).</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
