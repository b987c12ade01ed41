using System.Globalization;
using Glm.Core;
using Glm.Inference.Scheduling;
using Glm.Platform;
using Glm.Server.Gate;
using Glm.Server.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Glm.Server.Api;

/// <summary>
/// The filter on each dialect's route group: runs the <see cref="IRequestGate"/>, then the endpoint, and writes
/// any <see cref="ApiException"/> in the dialect's error envelope: a <see cref="PlatformException"/> (credentials,
/// balance, limits, billing) with its own status and code, and a <c>Retry-After</c> header when it has one; an engine
/// whose slots and queue are full (<see cref="SchedulerBusyException"/>) as 429 with code 1302 and the scheduler's
/// <c>Retry-After</c>; a <see cref="GlmException"/> from the model (a value it cannot serve) as 400 with code 1210; anything else
/// unexpected as 500.
/// </summary>
internal sealed class DialectFilter(ApiDialect dialect, IRequestGate gate, Func<ApiException, IResult> toResult, ILogger<DialectFilter> log) : IEndpointFilter
{
    public const string CallerKey = "glm.caller";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        try
        {
            var decision = await gate.CheckAsync(http, dialect);
            if (decision.Denial is { } denial)
                return toResult(denial);
            http.Items[CallerKey] = decision.Caller;
            return await next(context);
        }
        catch (ApiException e)
        {
            return toResult(e);
        }
        catch (PlatformException e)
        {
            return toResult(PlatformGate.ToApiException(e, http));
        }
        catch (SchedulerBusyException e)
        {
            http.Response.Headers.RetryAfter = ((long)Math.Ceiling(e.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return toResult(ApiException.Busy(e));
        }
        catch (GlmException e)
        {
            return toResult(new ApiException(400, "1210", e.Message));
        }
        catch (Exception e) when (!http.RequestAborted.IsCancellationRequested)
        {
            log.LogError(e, "{Method} {Path} failed", http.Request.Method, http.Request.Path);
            return toResult(new ApiException(500, "500", "internal error"));
        }
    }
}
