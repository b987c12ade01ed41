using Glm.Server.Gate;
using Glm.Server.Models;

namespace Glm.Server;

/// <summary>How <see cref="GlmServer.Build"/> sets up a server. Immutable once built.</summary>
public sealed record GlmServerOptions
{
    /// <summary>The public model names and their settings, usually <see cref="ModelRegistry.Load(string)"/>.</summary>
    public required ModelRegistry Registry { get; init; }

    /// <summary>Loads a registry entry on its first request; the server owns and disposes what it returns.</summary>
    public required ModelBackendFactory Backends { get; init; }

    /// <summary>Addresses to listen on; port 0 picks a free port (read it from the started app's URLs).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:8080";

    /// <summary>Larger request bodies are refused with HTTP 413 (error 1210).</summary>
    public long MaxRequestBodyBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>How long a finished async completion can still be fetched from <c>/async-result/{id}</c>.</summary>
    public TimeSpan AsyncResultRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Authentication and quota checks on every model route; see <see cref="IRequestGate"/>.</summary>
    public IRequestGate Gate { get; init; } = new AllowAllGate();

    /// <summary>When the server was built (the <c>created</c> time of the model list).</summary>
    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.UtcNow;
}
