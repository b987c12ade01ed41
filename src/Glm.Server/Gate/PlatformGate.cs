using System.Globalization;
using Glm.Platform;
using Glm.Server.Serving;
using Microsoft.AspNetCore.Http;

namespace Glm.Server.Gate;

/// <summary>
/// The metered API's gate. <c>Authorization: Bearer</c> with a raw key (<c>id.secret</c> or <c>sk-id.secret</c>) or
/// Zhipu's HS256 JWT names the caller; anything else is 401 (codes 1001-1004). A request that can start work (a POST)
/// also needs a positive balance (1113, before any compute) and a free slot under the key's limits (429, codes
/// 1302/1303, with <c>Retry-After</c>); the slot is held until the response ends, streams included, or for an async
/// task until the task ends (<see cref="AdmissionHold"/>). Thread safe.
/// </summary>
public sealed class PlatformGate(ApiKeyAuthenticator authenticator, UsageLedger ledger, KeyRateLimiter limiter) : IRequestGate
{
    public async ValueTask<GateDecision> CheckAsync(HttpContext context, ApiDialect dialect)
    {
        try
        {
            var identity = await authenticator.AuthenticateAsync(context.Request.Headers.Authorization.ToString(), context.RequestAborted);
            if (!HttpMethods.IsPost(context.Request.Method))
                return GateDecision.Allow(new PlatformCaller(identity, null));
            await ledger.EnsureCanSpendAsync(identity.TenantId, null, context.RequestAborted);
            var lease = limiter.Acquire(identity);
            AdmissionHold.Hold(context, lease);
            return GateDecision.Allow(new PlatformCaller(identity, lease));
        }
        catch (PlatformException e)
        {
            return GateDecision.Deny(ToApiException(e, context));
        }
    }

    /// <summary>The platform's refusal in the server's terms; sets <c>Retry-After</c> on the response when it has one.</summary>
    internal static ApiException ToApiException(PlatformException e, HttpContext http)
    {
        if (e.RetryAfterSeconds is { } seconds)
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return new ApiException(e.HttpStatus, e.Code, e.Message);
    }
}
