using System.Collections.Concurrent;

namespace Glm.Server.Serving;

/// <summary>
/// Request ids in flight: the caller's <c>request_id</c> or a generated one. A duplicate in-flight id is refused
/// (Zhipu error 1231). Thread safe.
/// </summary>
internal sealed class RequestIds
{
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Zhipu-style numeric id: Unix milliseconds then six random digits.</summary>
    public static string NewId() => $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}{Random.Shared.Next(100_000, 1_000_000)}";

    /// <summary>Marks <paramref name="requestId"/> (or a new id) in flight until the lease is disposed.</summary>
    public Lease Begin(string? requestId)
    {
        string id = string.IsNullOrEmpty(requestId) ? NewId() : requestId;
        if (!_inFlight.TryAdd(id, 0))
            throw ApiException.DuplicateRequestId(id);
        return new Lease(this, id);
    }

    /// <summary>An id held in flight; disposing it releases the id.</summary>
    public sealed class Lease(RequestIds owner, string id) : IDisposable
    {
        public string Id { get; } = id;

        public void Dispose() => owner._inFlight.TryRemove(Id, out _);
    }
}
