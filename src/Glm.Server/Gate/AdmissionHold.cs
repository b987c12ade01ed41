using Microsoft.AspNetCore.Http;

namespace Glm.Server.Gate;

/// <summary>
/// What a gate holds for an admitted request, such as a concurrency slot: released when the response ends, unless the
/// endpoint takes it over for work that outlives the response (an async task keeps it until the task ends). Thread safe.
/// </summary>
public sealed class AdmissionHold : IDisposable
{
    private const string Key = "glm.admission";
    private IDisposable? _held;

    private AdmissionHold(IDisposable held) => _held = held;

    /// <summary>Holds <paramref name="held"/> until <paramref name="http"/>'s response ends or an endpoint takes it over.</summary>
    public static void Hold(HttpContext http, IDisposable held)
    {
        var hold = new AdmissionHold(held);
        http.Response.RegisterForDispose(hold);
        http.Items[Key] = hold;
    }

    /// <summary>What the gate holds for <paramref name="http"/>, now the caller's to dispose; null when nothing is held.</summary>
    public static IDisposable? TakeOver(HttpContext http) => (http.Items[Key] as AdmissionHold)?.Take();

    private IDisposable? Take() => Interlocked.Exchange(ref _held, null);

    public void Dispose() => Take()?.Dispose();
}
