namespace Glm.Inference.Generation;

/// <summary>
/// Finds stop strings in streamed text: text that could still be the start of a stop string is held back, so a stop
/// string is never emitted, even when it arrives split across tokens. Not thread-safe.
/// </summary>
public sealed class StopStrings
{
    private readonly string[] _stops;
    private string _held = "";

    public StopStrings(IEnumerable<string>? stops) =>
        _stops = stops?.Where(s => !string.IsNullOrEmpty(s)).ToArray() ?? [];

    /// <summary>True once a stop string has been seen.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds <paramref name="text"/>; returns what may be emitted now (everything before a stop string).</summary>
    public string Push(string text)
    {
        if (Stopped)
        {
            return "";
        }
        if (_stops.Length == 0)
        {
            return text;
        }
        string all = _held + text;
        int cut = -1;
        foreach (string stop in _stops)
        {
            int at = all.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            _held = "";
            return all[..cut];
        }
        int hold = 0;
        foreach (string stop in _stops)
        {
            for (int k = Math.Min(stop.Length - 1, all.Length); k > hold; k--)
            {
                if (all.AsSpan(all.Length - k).SequenceEqual(stop.AsSpan(0, k)))
                {
                    hold = k;
                    break;
                }
            }
        }
        _held = all[(all.Length - hold)..];
        return all[..(all.Length - hold)];
    }

    /// <summary>Releases held-back text at the end of generation.</summary>
    public string Flush()
    {
        string held = Stopped ? "" : _held;
        _held = "";
        return held;
    }
}
