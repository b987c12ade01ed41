using System.Collections.Concurrent;

namespace Glm.Server.Serving;

/// <summary>State of an async task, in Zhipu's words.</summary>
internal enum AsyncJobStatus
{
    Processing,
    Success,
    Fail,
}

/// <summary>A submitted task of <paramref name="Owner"/> (a tenant): its result once it succeeded, its error once it failed.</summary>
internal sealed record AsyncJob<TResult>(string Id, string Owner, string RequestId, string Model, AsyncJobStatus Status, TResult? Result,
    ApiException? Error, DateTimeOffset? FinishedAt);

/// <summary>
/// Async completions: each runs in the background (until it ends or the server stops) and its result is kept for
/// <c>retention</c> after it finishes, then forgotten. Only its owner finds it. Thread safe.
/// </summary>
internal sealed class AsyncJobs<TResult>(TimeSpan retention, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, AsyncJob<TResult>> _jobs = new(StringComparer.Ordinal);

    /// <summary>Starts <paramref name="work"/> under <paramref name="id"/> and returns at once.</summary>
    public AsyncJob<TResult> Submit(string id, string owner, string requestId, string model, Func<CancellationToken, Task<TResult>> work,
        CancellationToken stopping)
    {
        Sweep();
        var job = new AsyncJob<TResult>(id, owner, requestId, model, AsyncJobStatus.Processing, default, null, null);
        _jobs[id] = job;
        _ = Task.Run(async () =>
        {
            AsyncJob<TResult> done;
            try
            {
                done = job with { Status = AsyncJobStatus.Success, Result = await work(stopping), FinishedAt = clock.GetUtcNow() };
            }
            catch (ApiException e)
            {
                done = job with { Status = AsyncJobStatus.Fail, Error = e, FinishedAt = clock.GetUtcNow() };
            }
            catch (Exception e)
            {
                done = job with { Status = AsyncJobStatus.Fail, Error = new ApiException(500, "1234", $"network error: {e.Message}"), FinishedAt = clock.GetUtcNow() };
            }
            _jobs[id] = done;
        }, CancellationToken.None);
        return job;
    }

    /// <summary>The job, or null when the id is unknown, its result has expired or it is not <paramref name="owner"/>'s.</summary>
    public AsyncJob<TResult>? Find(string id, string owner)
    {
        Sweep();
        return _jobs.GetValueOrDefault(id) is { } job && job.Owner == owner ? job : null;
    }

    private void Sweep()
    {
        var now = clock.GetUtcNow();
        foreach (var (id, job) in _jobs)
            if (job.FinishedAt is { } finished && now - finished > retention)
                _jobs.TryRemove(id, out _);
    }
}
