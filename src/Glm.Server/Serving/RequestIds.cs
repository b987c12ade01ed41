using System.Collections.Concurrent;

namespace Glm.Server.Serving;

/// <summary>
/// Request ids in flight, per scope (a tenant): the caller's <c>request_id</c> or a generated one. A duplicate
/// in-flight id within one scope is refused (Zhipu error 1231); scopes never see each other's ids. Thread safe.
/// </summary>
internal sealed class RequestIds
{
    private readonly ConcurrentDictionary<(string Scope, string Id), byte> _inFlight = new();

    /// <summary>Zhipu-style numeric id: Unix milliseconds then six random digits.</summary>
    public static string NewId() => $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}{Random.Shared.Next(100_000, 1_000_000)}";

    /// <summary>Marks <paramref name="requestId"/> (or a new id) in flight in <paramref name="scope"/> until the lease
    /// is disposed.</summary>
    public Lease Begin(string scope, string? requestId)
    {
        string id = string.IsNullOrEmpty(requestId) ? NewId() : requestId;
        if (!_inFlight.TryAdd((scope, id), 0))
            throw ApiException.DuplicateRequestId(id);
        return new Lease(this, scope, id);
    }

    /// <summary>An id held in flight; disposing it releases the id.</summary>
    public sealed class Lease(RequestIds owner, string scope, string id) : IDisposable
    {
        public string Id { get; } = id;

        public void Dispose() => owner._inFlight.TryRemove((scope, Id), out _);
    }
}
