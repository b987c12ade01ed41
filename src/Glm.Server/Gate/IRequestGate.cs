using Glm.Server.Serving;
using Microsoft.AspNetCore.Http;

namespace Glm.Server.Gate;

/// <summary>Which wire dialect a route speaks; errors are written in its envelope.</summary>
public enum ApiDialect
{
    /// <summary>Zhipu's <c>/api/paas/v4</c>.</summary>
    Zhipu,

    /// <summary>OpenAI's <c>/v1</c>.</summary>
    OpenAi,
}

/// <summary>The gate's verdict: let the request through (naming the caller, if known) or refuse it.
/// <paramref name="Caller"/> is whatever identifies the caller to the chat pipeline: a name, or a richer object such
/// as <see cref="PlatformCaller"/>.</summary>
public sealed record GateDecision(ApiException? Denial, object? Caller)
{
    public static GateDecision Allow(object? caller = null) => new(null, caller);

    /// <summary>Refuses with, for example, <c>new ApiException(401, "1001", "auth header not received")</c> or
    /// <c>new ApiException(429, "1302", "concurrency too high")</c>.</summary>
    public static GateDecision Deny(ApiException denial) => new(denial, null);
}

/// <summary>
/// The seam for authentication, quotas and rate limits: every request to a model route (both dialects; not
/// <c>/health</c>, <c>/metrics</c> or the API reference) passes <see cref="CheckAsync"/> before its body is read.
/// An allowed caller (a name, or <see cref="PlatformGate"/>'s <see cref="PlatformCaller"/>) reaches the model as
/// <c>ChatOptions.AdditionalProperties["caller"]</c>, so metering middleware in the chat client pipeline can bill it.
/// Register one in <see cref="GlmServerOptions.Gate"/>; the default, <see cref="AllowAllGate"/>, lets everything
/// through. Must be thread safe.
/// </summary>
public interface IRequestGate
{
    ValueTask<GateDecision> CheckAsync(HttpContext context, ApiDialect dialect);
}

/// <summary>Lets every request through, anonymously: for a server on a trusted network or on loopback.</summary>
public sealed class AllowAllGate : IRequestGate
{
    public ValueTask<GateDecision> CheckAsync(HttpContext context, ApiDialect dialect) => ValueTask.FromResult(GateDecision.Allow());
}
