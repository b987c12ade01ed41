using System.Globalization;

namespace Glm.Cli.Commands;

/// <summary>
/// This process's resident memory, split (on Linux) into pages backed by files (memory-mapped weights) and anonymous
/// pages (the heap, buffers, and any copy of the weights). Elsewhere only the total is known.
/// </summary>
internal readonly record struct ResidentMemory(long TotalBytes, long? FileBytes, long? AnonymousBytes)
{
    public static ResidentMemory Now()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return new ResidentMemory(Environment.WorkingSet, null, null);
        long? Field(string[] lines, string name) =>
            lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal)) is { } line
                ? long.Parse(line[(name.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024
                : null;
        string[] lines = File.ReadAllLines(status);
        return new ResidentMemory(Field(lines, "VmRSS") ?? Environment.WorkingSet, Field(lines, "RssFile"), Field(lines, "RssAnon"));
    }

    /// <summary>What was added since <paramref name="before"/>.</summary>
    public ResidentMemory Minus(ResidentMemory before) =>
        new(TotalBytes - before.TotalBytes, FileBytes - before.FileBytes, AnonymousBytes - before.AnonymousBytes);
}
