using Glm.Core;

namespace Glm.Platform;

/// <summary>
/// A request the platform refuses: bad credentials, an account out of balance, a limit reached. Carries what the
/// server puts on the wire: the Zhipu error code (a string such as "1113"), the HTTP status, and for limits the
/// seconds the client should wait before retrying.
/// </summary>
public sealed class PlatformException : GlmException
{
    public PlatformException(string code, int httpStatus, string message, int? retryAfterSeconds = null)
        : base(message)
    {
        Code = code;
        HttpStatus = httpStatus;
        RetryAfterSeconds = retryAfterSeconds;
    }

    /// <summary>Zhipu error code, e.g. "1002" (invalid token) or "1302" (concurrency too high).</summary>
    public string Code { get; }

    /// <summary>HTTP status the code travels with (401, 429, ...).</summary>
    public int HttpStatus { get; }

    /// <summary>Whole seconds to report in Retry-After; set only for limit errors.</summary>
    public int? RetryAfterSeconds { get; }

    internal static PlatformException MissingCredentials() =>
        new("1001", 401, "No API key was sent; use 'Authorization: Bearer <key>'.");

    internal static PlatformException InvalidToken(string why) => new("1002", 401, $"Invalid API key or token: {why}.");

    internal static PlatformException TokenExpired() => new("1003", 401, "The token has expired; sign a new one.");

    internal static PlatformException KeyRevoked() => new("1004", 401, "The API key has been revoked.");

    internal static PlatformException TenantNotFound(string tenant) =>
        new("1111", 404, $"Tenant '{tenant}' does not exist.");

    internal static PlatformException OutOfBalance(string tenant) =>
        new("1113", 429, $"Tenant '{tenant}' is out of balance; add credit to continue.");

    internal static PlatformException ModelNotPriced(string model) =>
        new("1211", 400, $"Model '{model}' has no price; it cannot be billed.");

    internal static PlatformException TooManyConcurrent(int limit, string scope, int retryAfter) =>
        new("1302", 429, $"More than {limit} requests in flight for this key{scope}.", retryAfter);

    internal static PlatformException TooManyRequests(string what, int limit, string scope, int retryAfter) =>
        new("1303", 429, $"More than {limit} {what} per minute for this key{scope}.", retryAfter);
}
