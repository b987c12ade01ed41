using Glm.Platform;

namespace Glm.Server.Gate;

/// <summary>
/// Who an authenticated request is from, as <see cref="PlatformGate"/> hands it to the chat pipeline (in
/// <c>ChatOptions.AdditionalProperties["caller"]</c>): the key's identity and, for a request that may compute, its
/// admission under the key's limits, which the response releases when it ends.
/// </summary>
public sealed record PlatformCaller(KeyIdentity Identity, KeyRateLimiter.RateLease? Lease);
