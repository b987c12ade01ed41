using Microsoft.Extensions.AI;

namespace Glm.Platform;

/// <summary>
/// Who pays for a chat call and under which request id; the server attaches it to the call's
/// <see cref="ChatOptions"/> with <see cref="ForCaller"/> after authenticating. The metering layer removes it
/// before the options go further down the pipeline.
/// </summary>
public sealed record MeteredCall(KeyIdentity Caller, string RequestId)
{
    internal const string PropertyName = "glm.metered_call";

    /// <summary>A copy of <paramref name="options"/> (or new options) that carries this call.</summary>
    public ChatOptions ForCaller(ChatOptions? options)
    {
        var copy = options?.Clone() ?? new ChatOptions();
        copy.AdditionalProperties = copy.AdditionalProperties?.Clone() ?? [];
        copy.AdditionalProperties[PropertyName] = this;
        return copy;
    }

    /// <summary>The call carried by <paramref name="options"/>, and the options without it for the inner client.</summary>
    internal static (MeteredCall Call, ChatOptions Options) Take(ChatOptions? options)
    {
        if (options?.AdditionalProperties?.TryGetValue(PropertyName, out object? value) != true || value is not MeteredCall call)
            throw new InvalidOperationException(
                $"A metered chat client was called without a {nameof(MeteredCall)}; attach one with {nameof(ForCaller)}.");
        var inner = options.Clone();
        inner.AdditionalProperties = options.AdditionalProperties.Clone();
        inner.AdditionalProperties.Remove(PropertyName);
        return (call, inner);
    }
}
