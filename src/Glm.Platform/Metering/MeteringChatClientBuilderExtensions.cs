using Microsoft.Extensions.AI;

namespace Glm.Platform;

/// <summary>Adds <see cref="MeteringChatClient"/> to a chat pipeline.</summary>
public static class MeteringChatClientBuilderExtensions
{
    /// <summary>
    /// Bills every call through the pipeline to the <see cref="MeteredCall"/> in its options (see
    /// <see cref="MeteringChatClient"/>); with a <paramref name="limiter"/>, enforces the key's limits too.
    /// </summary>
    public static ChatClientBuilder UseMetering(
        this ChatClientBuilder builder, UsageLedger ledger, KeyRateLimiter? limiter = null, TimeProvider? clock = null) =>
        builder.Use(inner => new MeteringChatClient(inner, ledger, limiter, clock));
}
